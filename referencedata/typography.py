"""Typography of Chinese data text: Chinese punctuation (，；：（）“”), not ASCII.

A mark counts as misplaced when it touches a Chinese character (spaces between them ignored):
`协议,保险` or `(一)` in a `_zh` field. ASCII stays allowed where it belongs: inside URLs,
between digits and Latin letters (`1.5`, `3+N`, `10:30`, `CHS-DRG (v2)`), and in codes written
with Chinese brackets (医保发〔2025〕16号).
"""

import re

# ASCII marks that have a Chinese form, and that form (straight quotes open, then close).
FULL_WIDTH = {",": "，", ";": "；", ":": "：", "(": "（", ")": "）"}
ASCII_MARKS = ',;:()"' + "'"
CHINESE = r"[\u3400-\u4dbf\u4e00-\u9fff]"  # ideographs: a mark beside 。 or “ may be Latin text's
URL = re.compile(r"https?://\S+")
MISPLACED = re.compile(
    rf"(?<={CHINESE}) *[{re.escape(ASCII_MARKS)}]|[{re.escape(ASCII_MARKS)}](?= *{CHINESE})"
)


def ascii_punctuation(text: str) -> list[str]:
    """The ASCII marks in `text` that touch a Chinese character, each with its surroundings
    (`"协议,保险"`), in order; [] when the text is clean."""
    masked = URL.sub(lambda url: "_" * len(url.group(0)), text)
    return [
        text[max(match.start() - 2, 0) : match.end() + 2] for match in MISPLACED.finditer(masked)
    ]
