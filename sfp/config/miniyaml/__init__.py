"""Read the part of YAML that config files use, giving what PyYAML gives, without PyYAML.

Inside the subset `loads(text)` equals `yaml.safe_load(text)` (PyYAML 6, YAML 1.1
rules). Outside it `YamlError` names the line, the column and the construct: a config
never silently means one thing here and another in other YAML tools.

The subset: comments; block mappings and sequences, nested, compact (`- a: 1`,
`- - x`) and with `- ` items at their key's indentation; plain, 'single' and
"double" quoted scalars (every escape, line folding); multi-line plain scalars;
`|` and `>` block scalars with `-`/`+` chomping and an indentation digit; flow
`[...]` and `{...}` collections (nested, over several lines, a trailing comma,
`[k: v]` pairs); one document with an optional `---` and `...`; keys that are
plain or quoted scalars, resolved like values (`1: a` has the int key 1).

Plain scalars resolve as PyYAML resolves them: `true/True/TRUE`, `yes`, `on` and
their `false/no/off` partners (3 spellings each) are booleans while `y` and `n` stay
strings; `~`, `null/Null/NULL` and nothing are None; `12`, `-3`, `1_000`, `0x1F`
are ints; `1.5`, `1.`, `.5`, `1.0e+3`, `.inf`, `-.Inf`, `.nan` are floats, but
`1e3` (an exponent needs a dot and a sign in YAML 1.1) and `-.5` stay strings.

Refused on purpose, each with a message saying what is wrong and where:
- anchors and aliases, tags, merge keys (`<<`), complex keys (`? `, or a list or
  mapping as a key), directives (`%YAML`), several documents, duplicate keys (PyYAML
  silently keeps the last one; `1` and `true` or `1.0` count as the same key, as in a
  Python dict), keys over 1024 characters or over several lines, a block scalar at
  its key's column (`a:` then `|` below it, which PyYAML reads);
- tabs outside quoted strings, block scalars and comments (PyYAML rejects them too);
- plain scalars YAML 1.1 turns into something few readers expect, and that YAML 1.2
  tools read differently: dates and timestamps (`2002-12-14`), base-60 numbers
  (`1:30` is 90), octal (`017` is 15, `0_` is 0) and binary (`0b101`) integers, a
  lone `=` (PyYAML fails on it as a value, reads it as a key; refused as both here);
  and `0x_`, decimal integers over 4300 digits and `\\U` escapes past U+10FFFF, on
  which PyYAML itself crashes. Quoting the value makes it a string;
- the characters U+0085, U+2028 and U+2029 (line breaks to YAML 1.1) and U+FEFF
  anywhere but the very start: write them as escapes in a double-quoted string.
  Other control characters are refused as PyYAML refuses them;
- nesting deeper than Python's recursion limit allows (a few hundred levels).

The parser (`parser`, `block`, `flow`, `scalars`, sharing `source`) is small functions
over `(src, pos)` returning the position after what they read (after blank and comment lines, for block nodes) and the value; an offset
becomes a line and column only when it is reported. Regexes read tokens only; those
most documents need are compiled at import, the others on first use, since the hooks
import this module on every run.
"""

from sfp.config.miniyaml.parser import loads, loads_located
from sfp.config.miniyaml.source import Path_, Position, YamlError

__all__ = ["Path_", "Position", "YamlError", "loads", "loads_located"]
