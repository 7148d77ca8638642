"""Java regex syntax (java.util.regex.Pattern, Java 17) translated into an equal Python pattern.

CircleCI matches `/regex/` filters and `matches` patterns with Java's engine, whose syntax means
other things than Python's: `\\w \\d \\s \\b` are ASCII; `[a-z&&[^x]]` is an intersection and
`[0-9[a-f]]` a union; `[[:alpha:]]` is the class of `[ : a l p h` ...; `.` stops at every line
terminator (`\\r`, `\\u2028` ...); `(?i)` folds ASCII only and lasts to the end of its group.

The parser follows Pattern's own (sequence, closure, clazz, range, escape) closely and writes a
Python pattern (for the `regex` module) out of a few constructs whose meaning is the same in both:
escaped literals, `[...]` classes of escaped code-point ranges (computed here, see charset.py),
groups, lookarounds, atomic groups, counted/lazy/possessive quantifiers, `\\A`, `\\Z`, numbered
back-references. Whatever the parser does not translate exactly raises `Undecided` with the reason;
whatever Java itself rejects raises `JavaSyntaxError` (checked against Java, see
tests/unit/javaregex/data/java_regex/). Never a different answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ciconf.javaregex import charset, properties
from ciconf.javaregex.charset import Ranges

MAX_DEPTH = 50  # nested groups and classes; deeper patterns are refused before any recursion
MAX_REPEAT = 100_000
END = -1
_ESCAPED_CHARS = {"t": 9, "n": 10, "r": 13, "f": 12, "a": 7, "e": 27}
_CLASS_ESCAPES = {"d": charset.DIGIT, "w": charset.WORD, "s": charset.SPACE}
_CLASS_ESCAPES.update({"h": charset.HORIZONTAL, "v": charset.VERTICAL})
_FLAGS = "idmsuxU"


class Undecided(Exception):
    """The pattern uses Java syntax ciconf does not translate exactly; the message says which."""


class JavaSyntaxError(Exception):
    """Java's Pattern.compile rejects the pattern; the message says why."""


class TooDeep(Exception):
    """Groups or classes nested deeper than ciconf parses (MAX_DEPTH); Java may accept them."""


@dataclass(frozen=True)
class Translation:
    python: str  # for regex.fullmatch
    ascii_only: str | None = None  # exact only for ASCII input; why
    single_line: str | None = None  # exact only for input without line terminators; why


@dataclass
class _Bits:
    """Java's BitClass: one mutable set per class level, shared by predicates built from it."""

    codes: set[int] = field(default_factory=set)


# a class predicate, evaluated once the outermost class is parsed (as Java evaluates it lazily)
_Pred = Ranges | _Bits | tuple


def _evaluate(pred: _Pred) -> Ranges:
    if isinstance(pred, _Bits):
        return charset.normalized((code, code) for code in pred.codes)
    if pred and isinstance(pred[0], str):
        operator = pred[0]
        if operator == "not":
            return charset.negate(_evaluate(pred[1]))
        left, right = _evaluate(pred[1]), _evaluate(pred[2])
        return charset.union(left, right) if operator == "or" else charset.intersect(left, right)
    return pred


def _quoted_pattern(pattern: str) -> list[tuple[int, bool]]:
    """Code points, each with whether \\Q...\\E quoted it (quoted ones are always literals)."""
    result: list[tuple[int, bool]] = []
    index, quoting = 0, False
    while index < len(pattern):
        char = pattern[index]
        if quoting:
            if pattern.startswith("\\E", index):
                quoting, index = False, index + 2
            else:
                result.append((ord(char), True))
                index += 1
        elif char == "\\" and pattern.startswith("\\Q", index):
            quoting, index = True, index + 2
        elif char == "\\" and index + 1 < len(pattern):
            result += [(ord(char), False), (ord(pattern[index + 1]), False)]
            index += 2
        else:
            result.append((ord(char), False))
            index += 1
    return result


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.text = _quoted_pattern(pattern)
        self.cursor = 0
        self.flags: set[str] = set()
        self.groups = 0
        self.closed: set[int] = set()
        self.names: dict[str, int] = {}
        self.depth = 0
        self.unbounded = 0  # unbounded quantifiers written so far (lookbehind must have none)
        self.backrefs = 0
        self.ascii_only: str | None = None
        self.single_line: str | None = None

    # --- reading, as Pattern's peek/read/next/skip (with COMMENTS mode skipping) -------------

    def _raw(self, index: int) -> int:
        return self.text[index][0] if 0 <= index < len(self.text) else END

    def _quoted(self, index: int) -> bool:
        return 0 <= index < len(self.text) and self.text[index][1]

    def _past_whitespace(self) -> None:
        while "x" in self.flags and not self._quoted(self.cursor):
            char = self._raw(self.cursor)
            if char in (32, 9, 10, 11, 12, 13):
                self.cursor += 1
            elif char == ord("#"):
                while self._raw(self.cursor) not in (END, 10, 13, 0x85, 0x2028, 0x2029):
                    self.cursor += 1
            else:
                return

    def peek(self) -> int:
        self._past_whitespace()
        return self._raw(self.cursor)

    def meta(self, char: str) -> bool:
        """The next character is the unquoted metacharacter `char`."""
        return self.peek() == ord(char) and not self._quoted(self.cursor)

    def read(self) -> int:
        char = self.peek()
        self.cursor += 1
        return char

    def at_end(self) -> bool:
        return self.peek() == END

    # --- the grammar ---------------------------------------------------------------------------

    def parse(self) -> Translation:
        body = self.expr()
        if not self.at_end():
            raise JavaSyntaxError("unmatched closing ')'")
        return Translation(body, self.ascii_only, self.single_line)

    def expr(self) -> str:
        branches = [self.sequence()]
        while self.meta("|"):
            self.cursor += 1
            branches.append(self.sequence())
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    def sequence(self) -> str:
        parts: list[str] = []
        while True:
            char = self.peek()
            quoted = self._quoted(self.cursor)
            if char == END or (not quoted and chr(char) in "|)"):
                return "".join(parts)
            if not quoted and chr(char) in "*+?":
                raise JavaSyntaxError(f"dangling meta character {chr(char)!r}")
            if not quoted and char == ord("{"):
                raise Undecided("a '{' where Java expects something to repeat")
            atom, repeatable = self.atom()
            parts.append(self.closure(atom) if repeatable else self._no_closure(atom))

    def _no_closure(self, atom: str) -> str:
        if self.peek() != END and not self._quoted(self.cursor) and chr(self.peek()) in "*+?{":
            raise Undecided("a quantifier on an anchor or lookaround")
        return atom

    def atom(self) -> tuple[str, bool]:  # noqa: PLR0911 - a case per Java construct
        """(Python text, whether a quantifier may follow it)."""
        char = self.read()
        if self._quoted(self.cursor - 1):
            return self._literal(char), True
        symbol = chr(char)
        if symbol == "(":
            return self.group()
        if symbol == "[":
            return charset.python_class(_evaluate(self.clazz(nested=False))), True
        if symbol == ".":
            return self._dot(), True
        if symbol == "^":
            if "m" in self.flags:
                self.single_line = "a multiline (?m) ^ on text with line terminators"
            return r"\A", False
        if symbol == "$":
            return self._dollar(), False
        if symbol == "\\":
            return self.escape_atom()
        return self._literal(char), True

    def _dot(self) -> str:
        if "s" in self.flags:
            return "(?s:.)"
        excluded = charset.of("\n") if "d" in self.flags else charset.LINE_TERMINATORS
        return charset.python_class(charset.negate(excluded))

    def _dollar(self) -> str:
        if "m" in self.flags:
            self.single_line = "a multiline (?m) $ on text with line terminators"
            return r"\Z"
        if "d" in self.flags:
            return r"(?=\n?\Z)"
        # Java: at the end, or before one final line terminator (not between \r and \n)
        return r"(?=\r\n\Z|(?<!\r)\n\Z|[\r\x85\u2028\u2029]\Z|\Z)"

    def _literal(self, code: int) -> str:
        if "i" in self.flags:
            if "u" in self.flags and (code > 127 or chr(code) in "kKsS"):
                raise Undecided("Unicode case folding (?iu) of a non-ASCII or k/s character")
            if "u" in self.flags:
                self.ascii_only = "Unicode case folding (?iu)"
            return charset.python_class(charset.ascii_case_folded(((code, code),)))
        if 0xD800 <= code <= 0xDFFF:
            raise Undecided("a surrogate code unit")
        return charset.escaped(code)

    # --- groups --------------------------------------------------------------------------------

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise TooDeep(f"groups and classes are nested deeper than {MAX_DEPTH} levels")

    def group(self) -> tuple[str, bool]:  # noqa: PLR0912 - a case per Java construct
        self._enter()
        saved = set(self.flags)
        head, repeatable, number, lookbehind = "(?:", True, 0, False
        if self.meta("?"):
            self.cursor += 1
            kind = chr(self.read()) if self.peek() != END else ""
            if kind in (":", "=", "!", ">"):
                head = "(?" + kind
                repeatable = kind in ":>"
            elif kind == "<":
                after = chr(self.peek()) if self.peek() != END else ""
                if after in "=!" and after:
                    self.cursor += 1
                    head, repeatable, lookbehind = "(?<" + after, False, True
                else:
                    number = self._named_group()
            elif kind in ("$", "@"):
                raise JavaSyntaxError("unknown group type")
            else:
                self.cursor -= 1
                if self._flags():
                    self.depth -= 1
                    return "", False  # (?i) alone: the flags last to the end of the group
        else:
            self.groups += 1
            number = self.groups
        if number:
            head = "("
        unbounded, backrefs = self.unbounded, self.backrefs
        body = self.expr()
        if not self.meta(")"):
            raise JavaSyntaxError("unclosed group")
        self.cursor += 1
        if lookbehind and (self.unbounded != unbounded or self.backrefs != backrefs):
            raise Undecided("a lookbehind of unbounded length or with a back-reference")
        if number:
            self.closed.add(number)
        self.flags = saved
        self.depth -= 1
        return head + body + ")", repeatable

    def _named_group(self) -> int:
        name = ""
        while self.peek() != END and chr(self.peek()).isascii() and chr(self.peek()).isalnum():
            name += chr(self.read())
        if not name or not name[0].isalpha():
            raise JavaSyntaxError("a capturing group name starts with a Latin letter")
        if not self.meta(">"):
            raise JavaSyntaxError("a named group's name ends with '>'")
        self.cursor += 1
        if name in self.names:
            raise JavaSyntaxError(f"named capturing group <{name}> is already defined")
        self.groups += 1
        self.names[name] = self.groups
        return self.groups

    def _flags(self) -> bool:
        """Inline flags `(?imx-s)` (True: they end the group) or `(?i:...)` (False)."""
        adding = True
        while True:
            char = chr(self.peek()) if self.peek() != END else ""
            if char and char in _FLAGS:
                (self.flags.add if adding else self.flags.discard)(char)
                if adding and char == "U":
                    self.flags.add("u")
                self.cursor += 1
            elif char == "c":
                raise Undecided("canonical equivalence (?c)")
            elif char == "-" and adding:
                adding = False
                self.cursor += 1
            else:
                break
        end = self.read()
        if end == ord(")"):
            return True
        if end != ord(":"):
            raise JavaSyntaxError("unknown inline modifier")
        return False

    # --- quantifiers ---------------------------------------------------------------------------

    def closure(self, atom: str) -> str:
        char = self.peek()
        if char == END or self._quoted(self.cursor) or chr(char) not in "?*+{":
            return atom
        self.cursor += 1
        symbol = chr(char)
        if symbol == "{":
            low, high = self._counted()
            quantifier = (
                f"{{{low}}}" if low == high else f"{{{low},{'' if high is None else high}}}"
            )
            if high is None:
                self.unbounded += 1
        else:
            quantifier = symbol
            if symbol != "?":
                self.unbounded += 1
        if self.meta("?") or self.meta("+"):
            quantifier += chr(self.read())
        following = self.peek()
        if following != END and not self._quoted(self.cursor) and chr(following) == "{":
            raise Undecided("a quantifier after a quantifier")
        return f"(?:{atom}){quantifier}"

    def _counted(self) -> tuple[int, int | None]:
        first = self._raw(self.cursor)
        if first == END or not chr(first).isdigit():
            raise JavaSyntaxError("illegal repetition (a '{' not followed by a number)")
        low = self._number()
        high: int | None = low
        if self.meta(","):
            self.cursor += 1
            high = None if self.meta("}") else self._number()
        if not self.meta("}"):
            raise JavaSyntaxError("unclosed counted closure")
        self.cursor += 1
        if low > MAX_REPEAT or (high is not None and high > MAX_REPEAT):
            raise Undecided(f"a repetition count above {MAX_REPEAT}")
        if high is not None and high < low:
            raise JavaSyntaxError("illegal repetition range")
        return low, high

    def _number(self) -> int:
        digits = ""
        while self.peek() != END and chr(self.peek()) in "0123456789":
            digits += chr(self.read())
        return int(digits or "0")

    # --- escapes -------------------------------------------------------------------------------

    def escape_atom(self) -> tuple[str, bool]:  # noqa: PLR0911 - a case per Java construct
        """After a backslash outside a class."""
        if self._raw(self.cursor) == END:
            raise JavaSyntaxError("unexpected end after a backslash")
        letter = chr(self._raw(self.cursor))
        if letter in "123456789":
            return self._backref(), True
        if letter == "k":
            self.cursor += 1
            return self._named_backref(), True
        anchors = {"A": r"\A", "z": r"\Z", "G": r"\G"}
        if letter in anchors:
            self.cursor += 1
            return anchors[letter], False
        if letter == "Z":
            self.cursor += 1
            return (r"(?=\n?\Z)" if "d" in self.flags else self._dollar_z()), False
        if letter in "bB":
            self.cursor += 1
            self.ascii_only = "a word boundary (Java 17's \\b uses Unicode letters and digits)"
            word = charset.python_class(charset.WORD)
            inside = f"(?:(?<={word})(?={word})|(?<!{word})(?!{word}))"
            boundary = f"(?:(?<={word})(?!{word})|(?<!{word})(?={word}))"
            return (boundary if letter == "b" else inside), False
        if letter == "R":
            self.cursor += 1
            return "(?>\\r\\n|" + charset.python_class(
                charset.of("\n\x0b\f\r\x85\u2028\u2029")
            ) + ")", True
        if letter in "XN":
            raise Undecided(f"\\{letter} (graphemes and character names)")
        found = self.escape(in_class=False)
        if isinstance(found, int):
            return self._literal(found), True
        return charset.python_class(self._folded(found)), True

    def _dollar_z(self) -> str:
        saved = set(self.flags)
        self.flags.discard("m")
        text = self._dollar()
        self.flags = saved
        return text

    def _backref(self) -> str:
        number = int(chr(self.read()))
        while self.peek() != END and chr(self.peek()).isdigit():
            longer = number * 10 + int(chr(self.peek()))
            if longer > self.groups:
                break
            number = longer
            self.cursor += 1
        return self._reference(number)

    def _named_backref(self) -> str:
        if not self.meta("<"):
            raise JavaSyntaxError("\\k is not followed by '<' for a named group")
        self.cursor += 1
        name = ""
        while self.peek() != END and chr(self.peek()).isascii() and chr(self.peek()).isalnum():
            name += chr(self.read())
        if not self.meta(">") or name not in self.names:
            raise JavaSyntaxError(f"named capturing group <{name}> does not exist")
        self.cursor += 1
        return self._reference(self.names[name])

    def _reference(self, number: int) -> str:
        if "i" in self.flags:
            raise Undecided("a case-insensitive back-reference")
        if number > self.groups:
            return "(?!)"  # Java: a group that does not exist never matched
        if number not in self.closed:
            raise Undecided("a back-reference into a group not yet closed")
        self.backrefs += 1
        return f"(?:\\g<{number}>)"

    def escape(self, in_class: bool) -> int | Ranges:  # noqa: PLR0911 - a case per Java construct
        """After a backslash: a code point or a set (a predefined class or property)."""
        char = self.read()
        if char == END:
            raise JavaSyntaxError("unexpected end after a backslash")
        letter = chr(char)
        if not (letter.isascii() and letter.isalpha()) and letter not in "0123456789":
            return char  # any escaped non-letter is itself
        if letter in _ESCAPED_CHARS:
            return _ESCAPED_CHARS[letter]
        lower = letter.lower()
        if lower in _CLASS_ESCAPES:
            if "U" in self.flags:
                self.ascii_only = "Unicode character classes (?U)"
            found = _CLASS_ESCAPES[lower]
            return charset.negate(found) if letter.isupper() else found
        if letter in "pP":
            return self._property(letter == "P")
        if letter == "0":
            return self._octal()
        if letter == "x":
            return self._hex()
        if letter == "u":
            return self._unicode()
        if letter == "c":
            control = self.read()
            if control == END:
                raise JavaSyntaxError("illegal control escape sequence")
            return control ^ 64
        if letter in "ABbGkNRXZz123456789E":
            raise Undecided(f"\\{letter} inside a character class" if in_class else f"\\{letter}")
        raise JavaSyntaxError(f"illegal/unsupported escape sequence \\{letter}")

    def _octal(self) -> int:
        digits = []
        for _ in range(3):
            char = self._raw(self.cursor)
            if char == END or chr(char) not in "01234567":
                break
            digits.append(int(chr(char)))
            self.cursor += 1
        if not digits:
            raise JavaSyntaxError("illegal octal escape sequence")
        if len(digits) == 3 and digits[0] > 3:
            digits.pop()
            self.cursor -= 1
        value = 0
        for digit in digits:
            value = value * 8 + digit
        return value

    def _hex_digits(self, count: int) -> int:
        text = "".join(chr(self._raw(self.cursor + offset)) for offset in range(count)
                       if self._raw(self.cursor + offset) != END)  # fmt: skip
        if len(text) != count or any(char not in "0123456789abcdefABCDEF" for char in text):
            raise JavaSyntaxError("illegal hexadecimal escape sequence")
        self.cursor += count
        return int(text, 16)

    def _hex(self) -> int:
        if self._raw(self.cursor) != ord("{"):
            return self._hex_digits(2)
        end = self.cursor + 1
        while self._raw(end) not in (END, ord("}")):
            end += 1
        text = "".join(chr(self._raw(index)) for index in range(self.cursor + 1, end))
        if (
            self._raw(end) == END
            or not text
            or any(c not in "0123456789abcdefABCDEF" for c in text)
        ):
            raise JavaSyntaxError("illegal hexadecimal escape sequence")
        self.cursor = end + 1
        value = int(text, 16)
        if value > charset.MAX_CODE_POINT:
            raise JavaSyntaxError("hexadecimal code point is too big")
        return value

    def _unicode(self) -> int:
        value = self._hex_digits(4)
        if 0xD800 <= value <= 0xDFFF:
            raise Undecided("a \\u escape of a surrogate")
        return value

    def _property(self, complement: bool) -> Ranges:
        if self._raw(self.cursor) == ord("{"):
            end = self.cursor + 1
            while self._raw(end) not in (END, ord("}")):
                end += 1
            if self._raw(end) == END:
                raise JavaSyntaxError("unclosed character family")
            name = "".join(chr(self._raw(index)) for index in range(self.cursor + 1, end))
            self.cursor = end + 1
        else:
            char = self.read()
            if char == END:
                raise JavaSyntaxError("illegal character family")
            name = chr(char)
        if "i" in self.flags:
            raise Undecided(f"a case-insensitive property \\p{{{name}}}")
        found = properties.lookup(name, "U" in self.flags)
        if found is None:
            raise Undecided(f"the property \\p{{{name}}}")
        ranges, ascii_only = found
        if ascii_only:
            self.ascii_only = f"the Unicode property \\p{{{name}}} (Java 17's Unicode tables)"
        return charset.negate(ranges) if complement else ranges

    def _folded(self, ranges: Ranges) -> Ranges:
        return charset.ascii_case_folded(ranges) if "i" in self.flags else ranges

    # --- character classes: Pattern.clazz and Pattern.range --------------------------------------

    def clazz(self, nested: bool) -> _Pred:
        """After `[` (nested=False: the outermost; the cursor is past the bracket)."""
        self._enter()
        bits = _Bits()
        prev: _Pred | None = None
        curr: _Pred | None = None
        has_bits = False
        negated = False
        if self.meta("^") and self._raw(self.cursor - 1) == ord("["):
            self.cursor += 1
            negated = True
        while True:
            char = self.peek()
            quoted = self._quoted(self.cursor)
            if char == END:
                raise JavaSyntaxError("unclosed character class")
            if not quoted and char == ord("["):
                self.cursor += 1
                curr = self.clazz(nested=True)
                prev = curr if prev is None else ("or", prev, curr)
                continue
            if not quoted and char == ord("&") and self._raw(self.cursor + 1) == ord("&"):
                prev, curr = self._intersection(bits, prev, curr, has_bits)
                has_bits = False
                continue
            if not quoted and char == ord("]") and (prev is not None or has_bits):
                self.cursor += 1
                return self._close_class(prev, bits, has_bits, negated)
            curr = self.range(bits)
            if curr is None:
                has_bits = True
            else:
                prev = curr if prev is None else ("or", prev, curr)

    def _intersection(
        self, bits: _Bits, prev: _Pred | None, curr: _Pred | None, has_bits: bool
    ) -> tuple[_Pred, _Pred | None]:
        """`&&` in a class (the cursor on it): Pattern.clazz's case '&', (prev, curr) after it."""
        if self._quoted(self.cursor + 1):
            raise Undecided("a quoted '&' after '&' in a class")
        self.cursor += 2
        right: _Pred | None = None
        while True:
            char = self.peek()
            if char == END:
                raise JavaSyntaxError("unclosed character class")
            if not self._quoted(self.cursor) and char in (ord("]"), ord("&")):
                break
            if not self._quoted(self.cursor) and char == ord("["):
                self.cursor += 1
                inner = self.clazz(nested=True)
                right = inner if right is None else ("or", right, inner)
            else:
                right = self.clazz_until_bracket()
        if has_bits:  # Java: "bits used, union has high precedence"
            if prev is None:
                prev = curr = bits
            else:
                prev = ("or", prev, bits)
        if right is not None:
            curr = right
        if prev is None:
            if right is None:
                raise JavaSyntaxError("bad class syntax")
            return right, curr
        return ("and", prev, curr), curr

    def clazz_until_bracket(self) -> _Pred:
        """Pattern.clazz(false): a class level without its `[`, ending before the `]` (which the
        enclosing level reads again)."""
        result = self.clazz(nested=True)
        self.cursor -= 1
        return result

    def _close_class(self, prev: _Pred | None, bits: _Bits, has_bits: bool, negated: bool) -> _Pred:
        self.depth -= 1
        result: _Pred = bits if prev is None else (("or", prev, bits) if has_bits else prev)
        return ("not", result) if negated else result

    def range(self, bits: _Bits) -> _Pred | None:
        """One class element: None when it went into `bits`, else its predicate."""
        start = self.cursor
        char = self.read()
        if char == ord("\\") and not self._quoted(start):
            found = self.escape(in_class=True)
            if not isinstance(found, int):
                return self._folded(found)
            char = found
        if self.meta("-"):
            end = self._raw(self.cursor + 1)
            if end == ord("[") and not self._quoted(self.cursor + 1):
                return self._single(bits, char)
            if end != ord("]") or self._quoted(self.cursor + 1):
                self.cursor += 1
                if self.peek() == END:
                    raise JavaSyntaxError("unclosed character class")
                high_start = self.cursor
                high = self.read()
                if high == ord("\\") and not self._quoted(high_start):
                    escaped = self.escape(in_class=True)
                    if not isinstance(escaped, int):
                        raise JavaSyntaxError("illegal character range")
                    high = escaped
                if high < char:
                    raise JavaSyntaxError("illegal character range")
                return self._case(((char, high),))
        return self._single(bits, char)

    def _single(self, bits: _Bits, code: int) -> _Pred | None:
        if "i" in self.flags and "u" in self.flags:
            raise Undecided("Unicode case folding (?iu) in a character class")
        if code < 256:
            for low, high in self._case(((code, code),)):
                bits.codes.update(range(low, high + 1))
            return None
        return ((code, code),)

    def _case(self, ranges: Ranges) -> Ranges:
        if "i" in self.flags and "u" in self.flags:
            raise Undecided("Unicode case folding (?iu) in a character class")
        return self._folded(ranges)


def translate(pattern: str) -> Translation:
    """The Python equivalent of a Java pattern (raises Undecided, JavaSyntaxError or TooDeep)."""
    return _Parser(pattern).parse()
