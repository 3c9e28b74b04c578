#!/usr/bin/env python3
"""Lists C# members (methods, constructors, operators, accessors, expression-bodied members) with their
length in lines, signature line to closing brace (or ';') inclusive. Local functions and lambdas count
inside the member that holds them. Braces inside comments, char and string literals (verbatim, raw,
interpolated) are skipped; code inside interpolation holes is blanked with its string.

usage: method-lengths.py [--min N] [paths...]   (default: src, every member; longest first)
"""
import os
import re
import sys

TYPE_KEYWORDS = re.compile(r"\b(class|struct|record|interface|enum|namespace)\b")
# Headers that open a block but are not members (only reachable at type level through
# initialisers such as `= new() { ... }`, which the '=' test catches first).
NOT_MEMBER = re.compile(r"^\s*(if|else|for|foreach|while|do|switch|try|catch|finally|using|lock|fixed|checked|unchecked)\b")


def blank(src):
    """Returns src with comments, char and string literals replaced by spaces (newlines kept)."""
    out = list(src)
    n = len(src)
    i = 0

    def wipe(a, b):
        for k in range(a, min(b, n)):
            if out[k] != "\n":
                out[k] = " "

    def string_end(i):
        """i at the start of a string literal (prefix chars included); returns the index after it."""
        j = i
        interp = 0
        verbatim = False
        while src[j] in "$@":
            if src[j] == "$":
                interp += 1
            else:
                verbatim = True
            j += 1
        if src.startswith('"""', j):  # raw string: n quotes open and close, n '$' = brace count for holes
            q = j
            while q < n and src[q] == '"':
                q += 1
            quotes = q - j
            k = q
            while k < n:
                if src[k] == '"' and src[k:k + quotes] == '"' * quotes:
                    return k + quotes
                if interp and src[k] == "{" and src[k:k + interp] == "{" * interp:
                    k = hole_end(k + interp)
                    continue
                k += 1
            return n
        k = j + 1  # past the opening quote
        while k < n:
            c = src[k]
            if verbatim:
                if c == '"':
                    if k + 1 < n and src[k + 1] == '"':
                        k += 2
                        continue
                    return k + 1
            else:
                if c == "\\":
                    k += 2
                    continue
                if c == '"' or c == "\n":
                    return k + 1
            if interp and c == "{":
                if k + 1 < n and src[k + 1] == "{":
                    k += 2
                    continue
                k = hole_end(k + 1)
                continue
            k += 1
        return n

    def hole_end(k):
        """k just inside an interpolation hole; returns the index after its closing brace."""
        depth = 1
        while k < n:
            c = src[k]
            if c == "/" and src.startswith("//", k):
                k = src.find("\n", k)
                k = n if k < 0 else k
                continue
            if c == "/" and src.startswith("/*", k):
                e = src.find("*/", k + 2)
                k = n if e < 0 else e + 2
                continue
            if c == "'":
                k = char_end(k)
                continue
            if c in '$@"' and string_start(k):
                k = string_end(k)
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return k + 1
            k += 1
        return n

    def string_start(k):
        m = re.match(r'[$@]*"', src[k:k + 8])
        return m is not None and (src[k] == '"' or '"' in m.group(0))

    def char_end(k):
        m = re.match(r"'(\\.[^']*|[^'\\])'", src[k:k + 12])
        return k + len(m.group(0)) if m else k + 1

    while i < n:
        c = src[i]
        if c == "/" and src.startswith("//", i):
            e = src.find("\n", i)
            e = n if e < 0 else e
            wipe(i, e)
            i = e
        elif c == "/" and src.startswith("/*", i):
            e = src.find("*/", i + 2)
            e = n if e < 0 else e + 2
            wipe(i, e)
            i = e
        elif c == "'":
            e = char_end(i)
            wipe(i, e)
            i = e
        elif c in '$@"' and string_start(i) and not (i > 0 and (src[i - 1].isalnum() or src[i - 1] == "_")):
            e = string_end(i)
            wipe(i, e)
            i = e
        elif c == "#" and (i == 0 or src[src.rfind("\n", 0, i) + 1:i].strip() == ""):
            e = src.find("\n", i)  # preprocessor line
            e = n if e < 0 else e
            wipe(i, e)
            i = e
        else:
            i += 1
    return "".join(out)


def strip_attributes(header):
    """Drops leading [attribute] groups; returns the offset where the member's own text starts."""
    k = 0
    while True:
        while k < len(header) and header[k].isspace():
            k += 1
        if k < len(header) and header[k] == "[":
            depth = 0
            while k < len(header):
                if header[k] == "[":
                    depth += 1
                elif header[k] == "]":
                    depth -= 1
                    if depth == 0:
                        k += 1
                        break
                k += 1
            continue
        return k


def members(path):
    src = open(path, encoding="utf-8-sig").read()
    code = blank(src)
    line_at = [0] * (len(code) + 1)
    ln = 1
    for idx, ch in enumerate(code):
        line_at[idx] = ln
        if ch == "\n":
            ln += 1
    line_at[len(code)] = ln

    results = []
    # scope stack: 'type' (class/struct/... body, namespace) or 'member' or 'other'
    stack = []
    seg_start = 0  # start of the current header (after the last ';', '{' or '}' at this level)
    paren = 0
    i = 0
    n = len(code)
    pending_expr = None  # (start, name) of an expression-bodied member at type level
    while i < n:
        c = code[i]
        in_type = not stack or stack[-1][0] == "type"
        if c in "([":
            paren += 1
        elif c in ")]":
            paren -= 1
        elif c == "=" and in_type and paren == 0 and code.startswith("=>", i) and pending_expr is None:
            header = code[seg_start:i]
            off = strip_attributes(header)
            pending_expr = (seg_start + off, name_of(header[off:]))
        elif c == ";" and paren == 0 and in_type:
            if pending_expr is not None:
                start, name = pending_expr
                results.append((line_at[i] - line_at[start] + 1, line_at[start], name))
                pending_expr = None
            seg_start = i + 1
        elif c == "{":
            if in_type and pending_expr is None:
                header = code[seg_start:i]
                off = strip_attributes(header)
                text = header[off:]
                if TYPE_KEYWORDS.search(text) and "(" not in text.split("=")[0] or re.search(r"\b(class|struct|interface|enum|namespace)\b", text) and not re.search(r"\)\s*$", text.strip()) or re.match(r"\s*(\w+\s+)*(record|class|struct|interface)\b", text):
                    stack.append(("type", None))
                elif "=" in re.sub(r"=>|[=!<>]=", "", text) and "(" not in text.split("=")[0]:
                    stack.append(("other", None))  # field/property initialiser
                else:
                    stack.append(("member", (seg_start + off, name_of(text))))
            else:
                stack.append(("other", None))
            seg_start = i + 1
        elif c == "}":
            kind, info = stack.pop() if stack else ("other", None)
            if kind == "member":
                start, name = info
                results.append((line_at[i] - line_at[start] + 1, line_at[start], name))
            seg_start = i + 1
        i += 1
    return results


def name_of(header):
    h = " ".join(header.split())
    depth = 0
    for k, ch in enumerate(h):  # the first '(' at depth 0 right after a name is the parameter list
        if ch == "(":
            if depth == 0:
                m = re.search(r"(~?\w+)\s*(<[^()<>]*>)?\s*$", h[:k])
                if m and m.group(1) not in ("new", "static"):
                    return m.group(1)
            depth += 1
        elif ch == ")":
            depth -= 1
    m = re.search(r"(\w+)\s*(=>.*)?$", h.split("=>")[0].strip())
    return m.group(1) if m else h[:40]


def main(argv):
    minimum = 0
    paths = []
    it = iter(argv)
    for a in it:
        if a == "--min":
            minimum = int(next(it))
        else:
            paths.append(a)
    if not paths:
        paths = ["src"]
    rows = []
    for p in paths:
        files = [p] if p.endswith(".cs") else [
            os.path.join(d, f) for d, _, fs in os.walk(p) if "/obj" not in d and "/bin" not in d
            for f in fs if f.endswith(".cs")]
        for f in files:
            for length, line, name in members(f):
                if length >= minimum:
                    rows.append((length, f, line, name))
    rows.sort(key=lambda r: (-r[0], r[1], r[2]))
    for length, f, line, name in rows:
        print(f"{length:5d}  {f}:{line}  {name}")


if __name__ == "__main__":
    main(sys.argv[1:])
