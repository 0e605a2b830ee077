#!/usr/bin/env python3
"""Post-processes the Rust code that `thrift --gen rs` (0.17) writes for heavy.thrift.

Why: the 0.17 generator makes every *method argument* required, so a server built from it
answers pyheavydb's first `sql_execute` (which omits `nonce`) with "missing required
field". The C++ server the clients were written against treats every argument as
optional and fills an absent one with its IDL default (or the type's zero value). This
script makes the generated argument readers do the same, and derives `Default` for enums
(absent enum arguments read as value 0, like C++), and stops pre-allocating lists
from the element count a peer claims.

Usage: patch_generated.py IDL GENERATED_RS  (rewrites GENERATED_RS in place)
"""
import re
import sys

REQUIRED_CHECK = re.compile(r'^\s*verify_required_field_exists\("(\w+)\.(\w+)", &f_\d+\)\?;\n', re.M)
EXPECT = re.compile(
    r'(\w+): f_(\d+)\.expect\("auto-generated code should have checked for presence of required fields"\),'
)
ARGS_IMPL = re.compile(r'^impl (Heavy\w+Args) \{$', re.M)
ENUM_DERIVE = re.compile(
    r'#\[derive\(Copy, Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd\)\]\n(pub struct \w+\(pub i32\);)'
)
ENUM = re.compile(r'^enum (\w+) \{(.*?)\}', re.M | re.S)
ENUM_MEMBER = re.compile(r'(\w+)\s*=\s*(-?\d+)')
METHOD = re.compile(r'^\s*[\w<>, ]+?\s+(\w+)\((.*)\)\s*throws', re.M)
ARG = re.compile(r'\d+:\s*[\w<>, ]+?\s+(\w+)\s*(?:=\s*([^,]+?))?\s*(?:,|$)')


def camel(snake):
    return ''.join(part[:1].upper() + part[1:] for part in snake.split('_'))


def idl_defaults(idl):
    """{ 'HeavySqlExecuteArgs': {'first_n': '-1', ...}, ... } for integer defaults."""
    defaults = {}
    for method, args in METHOD.findall(idl):
        for name, value in ARG.findall(args):
            value = value.strip()
            if re.fullmatch(r'-?\d+', value or '') and int(value) != 0:
                defaults.setdefault('Heavy' + camel(method) + 'Args', {})[name] = value
    return defaults


def patch(idl, code):
    defaults = idl_defaults(idl)
    # Every required-field check must belong to an argument struct: a struct field marked
    # `required` in the IDL would be a deliberate choice, and is not expected here.
    for struct, _field in REQUIRED_CHECK.findall(code):
        if not (struct.startswith('Heavy') and struct.endswith('Args')):
            sys.exit(f'unexpected required field check in {struct}; update patch_generated.py')
    code, checks = REQUIRED_CHECK.subn('', code)

    out, pos, replaced = [], 0, 0
    impls = list(ARGS_IMPL.finditer(code))
    for i, impl in enumerate(impls):
        end = impls[i + 1].start() if i + 1 < len(impls) else len(code)
        struct_defaults = defaults.get(impl.group(1), {})

        def fill(m):
            nonlocal replaced
            replaced += 1
            field = m.group(1)
            if field in struct_defaults:
                return f'{field}: f_{m.group(2)}.unwrap_or({struct_defaults[field]}),'
            return f'{field}: f_{m.group(2)}.unwrap_or_default(),'

        out.append(code[pos:impl.start()])
        out.append(EXPECT.sub(fill, code[impl.start():end]))
        pos = end
    out.append(code[pos:])
    code = ''.join(out)
    if EXPECT.search(code):
        sys.exit('a required-field `expect` outside an argument struct; update patch_generated.py')
    code, enums = ENUM_DERIVE.subn(
        r'#[derive(Copy, Clone, Debug, Default, Eq, Hash, Ord, PartialEq, PartialOrd)]\n\1', code
    )
    # A list's element count comes from the peer; pre-allocating it lets a few hostile bytes
    # ask for gigabytes. Grow with what actually arrives instead.
    code, lists = code.replace('Vec::with_capacity(list_ident.size as usize)', 'Vec::new()'), code.count(
        'Vec::with_capacity(list_ident.size as usize)'
    )
    if checks == 0 or replaced != checks or enums == 0 or lists == 0:
        sys.exit(f'patch did not apply cleanly: {checks} checks, {replaced} fields, {enums} enums')
    # The server answers an unknown method itself (the generated processor leaves that
    # call's arguments unread, which would desynchronise the connection).
    names = ''.join(f'    "{m}",\n' for m, _ in METHOD.findall(idl))
    code += f'\n/// Every method of the `Heavy` service, in IDL order.\npub const HEAVY_METHODS: &[&str] = &[\n{names}];\n'
    # Enum names as the IDL spells them: rbc reads HeavyDB's enum tables from
    # get_device_parameters (`TDatumType.BOOL` -> `10`), so the server serves them.
    tables = ''
    for enum, body in ENUM.findall(idl):
        members = ''.join(f'(\"{n}\", {v}), ' for n, v in ENUM_MEMBER.findall(body))
        tables += f'    (\"{enum}\", &[{members}]),\n'
    code += f'\n/// Every enum\'s members as (name, value), in IDL order.\npub const ENUM_MEMBERS: &[(&str, &[(&str, i32)])] = &[\n{tables}];\n'
    header = (
        '// Patched by thrift/scripts/patch_generated.py: absent arguments take their IDL\n'
        '// default (else zero), as in HeavyDB\'s C++ server; enums derive Default.\n'
        '// Lists grow as elements arrive.\n'
        '// Regenerate with thrift/scripts/regen.sh; never edit by hand.\n'
    )
    return header + code


def main():
    idl_path, rs_path = sys.argv[1], sys.argv[2]
    with open(idl_path) as f:
        idl = f.read()
    with open(rs_path) as f:
        code = f.read()
    with open(rs_path, 'w') as f:
        f.write(patch(idl, code))


if __name__ == '__main__':
    main()
