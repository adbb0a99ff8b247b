"""The sanitiser of an editor's article body: allowlisted tags and attributes, safe URLs only."""

import pytest

from accounts.article_html import plain_text, safe_url, sanitize_html

CASES = [
    ("plain paragraph", "<p>你好</p>", "<p>你好</p>"),
    ("text is escaped", "<p>1 < 2 & 3</p>", "<p>1 &lt; 2 &amp; 3</p>"),
    ("entities stay text", "<p>&lt;script&gt;</p>", "<p>&lt;script&gt;</p>"),
    (
        "all allowed tags",
        "<h2>a</h2><h3>b</h3><p><strong>c</strong><em>d</em><br></p>"
        "<ul><li>e</li></ul><ol><li>f</li></ol><blockquote>g</blockquote>",
        "<h2>a</h2><h3>b</h3><p><strong>c</strong><em>d</em><br></p>"
        "<ul><li>e</li></ul><ol><li>f</li></ol><blockquote>g</blockquote>",
    ),
    (
        "script dropped with content",
        "<p>a</p><script>alert(1)</script><p>b</p>",
        "<p>a</p><p>b</p>",
    ),
    ("style dropped with content", "<style>p{color:red}</style><p>x</p>", "<p>x</p>"),
    ("iframe dropped with content", "<iframe src='https://e.com'>t</iframe>ok", "ok"),
    ("nested drops", "<svg><script>1</script><g>2</g></svg>after", "after"),
    ("unknown tag keeps its text", "<div><span>文本</span></div>", "文本"),
    ("event handler dropped", '<p onclick="alert(1)">x</p>', "<p>x</p>"),
    ("style attribute dropped", '<p style="color:red" class="c">x</p>', "<p>x</p>"),
    (
        "link kept with rel",
        '<a href="https://dg.gov.cn/a?b=1&c=2" title="t">x</a>',
        '<a href="https://dg.gov.cn/a?b=1&amp;c=2" title="t" rel="noopener noreferrer">x</a>',
    ),
    (
        "javascript link loses href",
        '<a href="javascript:alert(1)">x</a>',
        '<a rel="noopener noreferrer">x</a>',
    ),
    (
        "obfuscated javascript",
        '<a href="java&#x09;script:alert(1)">x</a>',
        '<a rel="noopener noreferrer">x</a>',
    ),
    ("relative link dropped", '<a href="/admin">x</a>', '<a rel="noopener noreferrer">x</a>'),
    (
        "picture kept",
        '<img src="http://img.dg.cn/a.png" alt="图" width="300" onerror="x()">',
        '<img src="http://img.dg.cn/a.png" alt="图" width="300">',
    ),
    ("data picture dropped", '<img src="data:image/png;base64,AAAA">', ""),
    (
        "bad width dropped",
        '<img src="https://a.cn/x.png" width="100%">',
        '<img src="https://a.cn/x.png">',
    ),
    ("unclosed tags closed", "<p><strong>x", "<p><strong>x</strong></p>"),
    ("stray end tag dropped", "x</p></strong>", "x"),
    ("misnested closes inner", "<p><em>x</p>y", "<p><em>x</em></p>y"),
    ("comment dropped", "<!-- secret --><p>x</p>", "<p>x</p>"),
    ("self-closing br", "a<br/>b", "a<br>b"),
    ("unclosed script swallows the rest", "<p>a</p><script>x", "<p>a</p>"),
    (
        "attribute quotes escaped",
        '<img src="https://a.cn/x.png" alt="a&quot;b">',
        '<img src="https://a.cn/x.png" alt="a&quot;b">',
    ),
]


@pytest.mark.parametrize(("raw", "clean"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_sanitize_html(raw: str, clean: str) -> None:
    assert sanitize_html(raw) == clean


@pytest.mark.parametrize("raw", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_sanitising_is_idempotent(raw: str) -> None:
    once = sanitize_html(raw)
    assert sanitize_html(once) == once


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://dg.gov.cn/x", "https://dg.gov.cn/x"),
        ("  http://a.cn  ", "http://a.cn"),
        ("HTTPS://A.CN/", "HTTPS://A.CN/"),
        ("javascript:alert(1)", None),
        ("java\tscript:alert(1)", None),
        ("data:text/html,x", None),
        ("//evil.cn/x", None),
        ("https://", None),
        ("https://a.cn/a b", None),
        ("ftp://a.cn/x", None),
    ],
)
def test_safe_url(url: str, safe: str | None) -> None:
    assert safe_url(url) == safe


def test_plain_text_of_a_body() -> None:
    assert plain_text("<h2>标题</h2><p>第一段&amp;</p><p>第二段</p>") == "标题 第一段& 第二段"
