"""Page text is redacted before it is shortened, and escaped after."""

from __future__ import annotations

from sfp.report.markup import text

KEY = "AKIA" + "Q3EGRIXZ" * 2


def test_markup_in_a_name_is_text() -> None:
    assert text('<script>alert("x")</script> & co') == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co"


def test_a_secret_is_masked_even_when_the_cut_would_fall_inside_it() -> None:
    shown = text(f"gate-{KEY}-check", limit=12)
    assert KEY[:6] not in shown and shown.endswith("…")
    assert text(f"gate-{KEY}") == "gate-***"
