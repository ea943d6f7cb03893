/**
 * Runs under `python3 -I -S`: reads tool source on stdin, parses it with `ast` (never executes
 * it) and prints one JSON line describing the chosen top-level function, or the parse error.
 * Annotations become a small tree ({k:'name'|'sub'|'union'|'const'|'bad'}) that TypeScript maps.
 */
export const PYTHON_AST_SCRIPT = String.raw`
import ast, json, sys

def out(obj):
    sys.stdout.write(json.dumps(obj))
    sys.exit(0)

src = sys.stdin.read()
want = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] else None
try:
    tree = ast.parse(src)
except SyntaxError as e:
    out({"error": "syntax", "line": e.lineno, "msg": e.msg, "text": (e.text or "").strip()})

fns = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
names = [f.name for f in fns]
if want:
    fns = [f for f in fns if f.name == want]
if not fns:
    out({"error": "nofunc", "names": names})
fn = fns[-1]

def node(n):
    src = ast.unparse(n)
    if isinstance(n, ast.Name):
        return {"k": "name", "id": n.id, "src": src}
    if isinstance(n, ast.Attribute):
        return {"k": "name", "id": n.attr, "src": src}
    if isinstance(n, ast.Constant):
        if n.value is None:
            return {"k": "name", "id": "None", "src": src}
        if isinstance(n.value, str):
            try:
                return node(ast.parse(n.value, mode="eval").body)
            except SyntaxError:
                return {"k": "bad", "src": src}
        return {"k": "bad", "src": src}
    if isinstance(n, ast.Subscript):
        base = node(n.value)
        items = list(n.slice.elts) if isinstance(n.slice, ast.Tuple) else [n.slice]
        if base.get("id") == "Literal":
            args = [{"k": "const", "v": a.value, "src": ast.unparse(a)} if isinstance(a, ast.Constant)
                    else {"k": "bad", "src": ast.unparse(a)} for a in items]
        else:
            args = [{"k": "ellipsis", "src": "..."} if isinstance(a, ast.Constant) and a.value is Ellipsis
                    else node(a) for a in items]
        return {"k": "sub", "base": base, "args": args, "src": src}
    if isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitOr):
        return {"k": "union", "args": [node(n.left), node(n.right)], "src": src}
    return {"k": "bad", "src": src}

a = fn.args
positional = a.posonlyargs + a.args
first_default = len(positional) - len(a.defaults)
params = []
for i, p in enumerate(positional):
    params.append({"name": p.arg, "line": p.lineno, "default": i >= first_default,
                   "type": node(p.annotation) if p.annotation is not None else None})
for p, d in zip(a.kwonlyargs, a.kw_defaults):
    params.append({"name": p.arg, "line": p.lineno, "default": d is not None,
                   "type": node(p.annotation) if p.annotation is not None else None})

out({"name": fn.name, "line": fn.lineno, "doc": ast.get_docstring(fn), "params": params,
     "varargs": [x.arg for x in (a.vararg, a.kwarg) if x is not None]})
`;
