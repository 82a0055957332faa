"""`sfp completion bash|zsh`: a shell completion script, generated from sfp's own parser so it never drifts.

The parser becomes plain data (a tree of commands, each with its options and the words it takes),
and each shell's script is rendered from that data: bash as a `complete -F` function, zsh as a
`#compdef` file that also works when sourced. Both scripts are plain tables plus one small
function, with no call back into sfp at TAB time (a Python start per keypress would be felt).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Final

from sfp.infra.record import Record

SHELLS: Final = ("bash", "zsh")
PROGRAMS: Final = ("sfp", "sfp.pyz")  # the README runs it under both names
# What a value of an option is, read from its metavar: a folder, a file, or something only the person knows.
DIR_METAVARS: Final = frozenset({"DIR", "PROJECT"})
FILE_METAVARS: Final = frozenset({"FILE", "F", "PATH"})


class Option(Record):
    flags: tuple[str, ...]
    help: str
    value: str  # "" (a flag), "choices", "dir", "file" or "text"
    choices: tuple[str, ...] = ()


class Node(Record):
    path: tuple[str, ...]  # () for sfp itself, ("backup", "show") for a subcommand
    help: str
    options: tuple[Option, ...]
    commands: tuple[Node, ...]
    words: tuple[str, ...]  # the choices of its positional arguments (`handoff list|show`)


def command_tree(parser: argparse.ArgumentParser, path: tuple[str, ...] = (), help: str = "") -> Node:
    """`parser` as plain data: its options, the words its positionals take, and its subcommands."""
    options: list[Option] = []
    commands: list[Node] = []
    words: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            commands += [command_tree(sub, (*path, name), helps.get(name, ""))
                         for name, sub in action.choices.items()]
        elif action.option_strings:
            options.append(_option(action))
        elif action.choices:
            words += [str(choice) for choice in action.choices]
    return Node(path, help, tuple(options), tuple(commands), tuple(words))


def _option(action: argparse.Action) -> Option:
    help_text = "" if action.help in (None, argparse.SUPPRESS) else str(action.help)
    if action.nargs == 0:
        return Option(tuple(action.option_strings), help_text, "")
    if action.choices:
        return Option(tuple(action.option_strings), help_text, "choices", tuple(str(c) for c in action.choices))
    metavar = action.metavar if isinstance(action.metavar, str) else ""
    kind = "dir" if metavar in DIR_METAVARS else "file" if metavar in FILE_METAVARS else "text"
    return Option(tuple(action.option_strings), help_text, kind)


def all_nodes(node: Node) -> Iterator[Node]:
    yield node
    for child in node.commands:
        yield from all_nodes(child)


# --- bash -----------------------------------------------------------------------------------------------------


BASH_FUNCTION: Final = r"""
# The words before the cursor name a command path ("backup show"); an option's value is skipped.
_sfp() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="" cmdpath="" word i skip=0
    (( COMP_CWORD > 0 )) && prev="${COMP_WORDS[COMP_CWORD-1]}"
    for (( i = 1; i < COMP_CWORD; i += 1 )); do
        word="${COMP_WORDS[i]}"
        if (( skip )); then skip=0; continue; fi
        case "$word" in
            -*=*) ;;
            -*) _sfp_value "$cmdpath" "$word" >/dev/null && skip=1 ;;
            *) if [[ " $(_sfp_words "$cmdpath" commands) " == *" $word "* ]]; then cmdpath="${cmdpath:+$cmdpath }$word"; fi ;;
        esac
    done
    COMPREPLY=()
    local option="" values
    if [[ "$cur" == --*=* ]]; then
        option="${cur%%=*}"; cur="${cur#*=}"
    elif [[ "$prev" == "=" && $COMP_CWORD -ge 2 ]]; then
        option="${COMP_WORDS[COMP_CWORD-2]}"
    elif [[ "$prev" == -* ]]; then
        option="$prev"
    fi
    if [[ -n "$option" ]] && values="$(_sfp_value "$cmdpath" "$option")"; then
        case "$values" in
            @dir) COMPREPLY=( $(compgen -d -- "$cur") ) ;;
            @file) COMPREPLY=( $(compgen -f -- "$cur") ) ;;
            @text) ;;
            *) COMPREPLY=( $(compgen -W "$values" -- "$cur") ) ;;
        esac
        return 0
    fi
    if [[ "$cur" == -* ]]; then
        COMPREPLY=( $(compgen -W "$(_sfp_words "$cmdpath" options)" -- "$cur") )
    else
        COMPREPLY=( $(compgen -W "$(_sfp_words "$cmdpath" commands) $(_sfp_words "$cmdpath" words)" -- "$cur") )
    fi
    return 0
}
"""


def bash_script(tree: Node) -> str:
    """A bash completion script: `source <(sfp completion bash)` (bash 3.2 or newer: no associative arrays)."""
    words, values = [], []
    for node in all_nodes(tree):
        key = " ".join(node.path)
        words.append(f'        "{key}|commands") echo "{" ".join(c.path[-1] for c in node.commands)}" ;;')
        words.append(f'        "{key}|options") echo "{" ".join(f for o in node.options for f in o.flags)}" ;;')
        if node.words:
            words.append(f'        "{key}|words") echo "{" ".join(node.words)}" ;;')
        for option in node.options:
            if option.value:
                shown = " ".join(option.choices) if option.value == "choices" else f"@{option.value}"
                values += [f'        "{key}|{flag}") echo "{shown}" ;;' for flag in option.flags]
    return "\n".join([
        "# bash completion for sfp, generated by `sfp completion bash` from sfp's own parser.",
        "# Use: source <(sfp completion bash)   (or save it under ~/.local/share/bash-completion/completions/sfp)",
        "",
        "# _sfp_words PATH commands|options|words: what may follow the command PATH.",
        "_sfp_words() {",
        '    case "$1|$2" in',
        *words,
        "    esac",
        "}",
        "",
        *value_function(values),
        BASH_FUNCTION.rstrip("\n"),
        "",
        f"complete -o bashdefault -o default -F _sfp {' '.join(PROGRAMS)}",
        "",
    ])


# --- zsh ------------------------------------------------------------------------------------------------------


ZSH_FUNCTION: Final = r"""
_sfp() {
    local cur="${words[CURRENT]}" prev="${words[CURRENT-1]}" cmdpath="" word i skip=0 option="" values
    local -a candidates
    for (( i = 2; i < CURRENT; i += 1 )); do
        word="${words[i]}"
        if (( skip )); then skip=0; continue; fi
        case "$word" in
            -*=*) ;;
            -*) _sfp_value "$cmdpath" "$word" >/dev/null && skip=1 ;;
            *) if (( ${${(s: :)$(_sfp_commands "$cmdpath")}[(Ie)$word]} )); then cmdpath="${cmdpath:+$cmdpath }$word"; fi ;;
        esac
    done
    if [[ "$cur" == --*=* ]]; then
        option="${cur%%=*}"
        compset -P '*='
    elif [[ "$prev" == -* ]]; then
        option="$prev"
    fi
    if [[ -n "$option" ]] && values="$(_sfp_value "$cmdpath" "$option")"; then
        case "$values" in
            @dir) _files -/ ;;
            @file) _files ;;
            @text) _message "${option#--}" ;;
            *) candidates=( ${(s: :)values} ); _describe -t values "${option#--}" candidates ;;
        esac
        return
    fi
    if [[ "$cur" == -* ]]; then
        _sfp_described "$cmdpath" options
        _describe -t options "sfp ${cmdpath:-} option" candidates
    else
        _sfp_described "$cmdpath" commands
        candidates+=( ${(s: :)$(_sfp_words "$cmdpath")} )
        if (( ${#candidates} )); then
            _describe -t commands "sfp ${cmdpath:-} command" candidates
        else
            _files
        fi
    fi
}
"""


def zsh_script(tree: Node) -> str:
    """A zsh completion script: saved as `_sfp` on $fpath it is autoloaded; sourced, it registers itself."""
    described, commands, words, values = [], [], [], []
    for node in all_nodes(tree):
        key = _zsh_quote(" ".join(node.path))
        subs = [_zsh_quote(f"{c.path[-1]}:{c.help}") for c in node.commands]
        opts = [_zsh_quote(f"{flag}:{o.help}") for o in node.options for flag in o.flags]
        described.append(f"        {key}/commands) candidates=( {' '.join(subs)} ) ;;")
        described.append(f"        {key}/options) candidates=( {' '.join(opts)} ) ;;")
        commands.append(f"        {key}) print -r -- {_zsh_quote(' '.join(c.path[-1] for c in node.commands))} ;;")
        if node.words:
            words.append(f"        {key}) print -r -- {_zsh_quote(' '.join(node.words))} ;;")
        for option in node.options:
            if option.value:
                shown = " ".join(option.choices) if option.value == "choices" else f"@{option.value}"
                values += [f"        {_zsh_quote(' '.join(node.path) + '|' + flag)}) print -r -- {_zsh_quote(shown)} ;;"
                           for flag in option.flags]
    return "\n".join([
        f"#compdef {' '.join(PROGRAMS)}",
        "# zsh completion for sfp, generated by `sfp completion zsh` from sfp's own parser.",
        "# Use: sfp completion zsh > ~/.zfunc/_sfp (with ~/.zfunc on $fpath before compinit),",
        "# or source <(sfp completion zsh) after compinit.",
        "",
        "# _sfp_described PATH commands|options: sets `candidates` to NAME:DESCRIPTION pairs.",
        "_sfp_described() {",
        '    case "$1/$2" in',
        *described,
        "        *) candidates=() ;;",
        "    esac",
        "}",
        "",
        "_sfp_commands() {",
        '    case "$1" in',
        *commands,
        "    esac",
        "}",
        "",
        "# _sfp_words PATH: the words its positional arguments take.",
        "_sfp_words() {",
        '    case "$1" in',
        *words,
        "    esac",
        "}",
        "",
        *value_function(values),
        ZSH_FUNCTION.rstrip("\n"),
        "",
        "# Autoloaded from $fpath, this file is the body of _sfp: complete now. Sourced: register the function.",
        'if [[ "${zsh_eval_context[-1]}" == loadautofunc ]]; then',
        '    _sfp "$@"',
        "else",
        f"    compdef _sfp {' '.join(PROGRAMS)}",
        "fi",
        "",
    ])


def _zsh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


RENDERERS: Final = {"bash": bash_script, "zsh": zsh_script}


def completion(shell: str, out: IO[str]) -> int:
    from sfp.cli import build_parser

    out.write(RENDERERS[shell](command_tree(build_parser())))
    return 0


def value_function(values: list[str]) -> list[str]:
    """The shell function both scripts share: what an option's value may be."""
    return [
        "# _sfp_value PATH OPTION: fails when OPTION takes no value; else prints its choices, or @dir, @file, @text.",
        "_sfp_value() {",
        '    case "$1|$2" in',
        *values,
        "        *) return 1 ;;",
        "    esac",
        "}",
    ]


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", choices=SHELLS,
                        help="bash: `source <(sfp completion bash)` in ~/.bashrc; "
                             "zsh: `sfp completion zsh > ~/.zfunc/_sfp` with ~/.zfunc on $fpath")


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    return completion(args.shell, out)
