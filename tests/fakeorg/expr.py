"""Okta's filter/search expression language, as the fake org understands it.

    expr    := and_expr ("or" and_expr)*
    and     := unary ("and" unary)*
    unary   := "not" unary | "(" expr ")" | attr "pr" | attr op value
    op      := eq ne gt ge lt le sw co ew
    value   := "string with \\" and \\\\ escapes" | number | true | false | null

Each endpoint says which attributes and operators it accepts; anything else
raises ExprError, which the server answers with Okta's 400.

As real orgs do: an attribute path through an array (target.id of a log
event, an array profile attribute) matches when any element matches (SCIM,
RFC 7644 3.4.2.2, which Okta's spec cites for searching arrays); search=
compares string values case-insensitively (nocase; spec, listUsers
"search": "operators ... and string values are case insensitive", while
filter= values are case-sensitive); filters of /users and /groups have no
"not" (spec, listUsers "filter": "The not operator isn't supported").
"""

import re


class ExprError(Exception):
    pass


TOKEN = re.compile(r'\s*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|([A-Za-z0-9_.$:\-+]+))', re.S)
OPS = {"eq", "ne", "gt", "ge", "lt", "le", "sw", "co", "ew"}


def tokenize(s):
    out, pos = [], 0
    s = s.rstrip()
    while pos < len(s):
        m = TOKEN.match(s, pos)
        if not m or m.end() == pos:
            raise ExprError("Invalid search syntax at position %d" % pos)
        pos = m.end()
        if m.group(1):
            out.append(("(", None))
        elif m.group(2):
            out.append((")", None))
        elif m.group(3) is not None:
            raw = m.group(3)
            out.append(("str", re.sub(r"\\(.)", r"\1", raw, flags=re.S)))
        else:
            out.append(("word", m.group(4)))
    return out


class Parser:
    def __init__(self, s):
        self.toks = tokenize(s)
        self.i = 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self):
        t = self.peek()
        self.i += 1
        return t

    def kw(self, word):
        t = self.peek()
        if t[0] == "word" and t[1].lower() == word:
            self.i += 1
            return True
        return False

    def parse(self):
        if not self.toks:
            raise ExprError("Empty expression")
        e = self.expr()
        if self.i != len(self.toks):
            raise ExprError("Unexpected token %r" % (self.peek()[1],))
        return e

    def expr(self):
        e = self.and_expr()
        while self.kw("or"):
            e = ("or", e, self.and_expr())
        return e

    def and_expr(self):
        e = self.unary()
        while self.kw("and"):
            e = ("and", e, self.unary())
        return e

    def unary(self):
        if self.kw("not"):
            return ("not", self.unary())
        t = self.peek()
        if t[0] == "(":
            self.take()
            e = self.expr()
            if self.take()[0] != ")":
                raise ExprError("Missing )")
            return e
        if t[0] != "word":
            raise ExprError("Expected an attribute")
        attr = self.take()[1]
        opt = self.take()
        if opt[0] != "word" or opt[1].lower() not in OPS | {"pr"}:
            raise ExprError("Unrecognized attribute operator %r" % (opt[1],))
        op = opt[1].lower()
        if op == "pr":
            return ("cmp", attr, "pr", None)
        vt = self.take()
        if vt[0] == "str":
            val = vt[1]
        elif vt[0] == "word" and vt[1] in ("true", "false"):
            val = vt[1] == "true"
        elif vt[0] == "word" and vt[1] == "null":
            val = None
        elif vt[0] == "word" and re.fullmatch(r"-?\d+(\.\d+)?", vt[1]):
            val = float(vt[1])
        else:
            raise ExprError("Invalid value for %s" % attr)
        return ("cmp", attr, op, val)


def parse(s):
    return Parser(s).parse()


def check(tree, allowed):
    """allowed: {attr: set(ops)}; None allows everything."""
    if allowed is None:
        return
    kind = tree[0]
    if kind in ("and", "or"):
        check(tree[1], allowed)
        check(tree[2], allowed)
    elif kind == "not":
        check(tree[1], allowed)
    else:
        _, attr, op, _ = tree
        if attr not in allowed or op not in allowed[attr]:
            raise ExprError("Unsupported %s %s" % (attr, op))


def uses(tree, kind):
    """True when the expression contains a node of this kind ("not")."""
    if tree[0] in ("and", "or"):
        return uses(tree[1], kind) or uses(tree[2], kind)
    if tree[0] == "not":
        return kind == "not" or uses(tree[1], kind)
    return False


def resolve(item, attr):
    """The value at a dotted path; through an array, the list of the
    elements' values (any of them may match)."""
    vals, many = [item], False
    for part in attr.split("."):
        nxt = []
        for v in vals:
            if isinstance(v, dict):
                nxt.append(v.get(part))
            elif isinstance(v, list):
                many = True
                nxt.extend(x.get(part) for x in v if isinstance(x, dict))
        vals = nxt
    if many:
        return vals
    return vals[0] if vals else None


def evaluate(tree, item, resolver=resolve, nocase=False):
    kind = tree[0]
    if kind == "and":
        return evaluate(tree[1], item, resolver, nocase) and evaluate(tree[2], item, resolver, nocase)
    if kind == "or":
        return evaluate(tree[1], item, resolver, nocase) or evaluate(tree[2], item, resolver, nocase)
    if kind == "not":
        return not evaluate(tree[1], item, resolver, nocase)
    _, attr, op, val = tree
    got = resolver(item, attr)
    values = got if isinstance(got, (list, set, tuple)) else [got]
    for g in values:
        if nocase and isinstance(g, str) and isinstance(val, str):
            g, v = g.lower(), val.lower()
        else:
            v = val
        if compare(g, op, v):
            return True
    return False


def compare(g, op, val):
    if op == "pr":
        return g is not None
    if op == "eq":
        return g == val
    if op == "ne":
        return g != val
    if g is None or val is None:
        return False
    if isinstance(g, str) and isinstance(val, str):
        if op == "sw":
            return g.lower().startswith(val.lower())
        if op == "co":
            return val.lower() in g.lower()
        if op == "ew":
            return g.lower().endswith(val.lower())
    try:
        if op == "gt":
            return g > val
        if op == "ge":
            return g >= val
        if op == "lt":
            return g < val
        if op == "le":
            return g <= val
    except TypeError:
        return False
    return False
