#!/usr/bin/env python3
# For tests/t-manpages.sh: the EXIT STATUS codes and ENVIRONMENT variables of each
# section-1 man page in a directory, as JSON {program: {codes, chobo7, env, has_exit, has_env}}.
import re, sys, os, json
KNOWN = {0,1,2,3,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78}
def sections(text):
    secs = {}; cur = None
    for line in text.split('\n'):
        if line.startswith('.Sh '):
            cur = line[4:].strip(); secs[cur] = []
        elif cur: secs[cur].append(line)
    return secs
def codes(lines):
    out = []
    for l in lines:
        m = re.match(r'^\.It (\d+)\b', l)
        if m: out.append(int(m.group(1))); continue
        if l.startswith('.It') or l.startswith('.Bl') or l.startswith('.Xr') or l.startswith('.Fl') or l.startswith('.Ev') or l.startswith('.Pa') or l.startswith('.Li') or l.startswith('.Ql'):
            continue
        if not l.startswith('.'):
            for n in re.findall(r'(?<![\w.-])(\d{1,2})(?= \(|[;,.]| on| when| for| otherwise| if|$)', l):
                if int(n) in KNOWN: out.append(int(n))
    return sorted(set(out))
res = {}
for f in sorted(os.listdir(sys.argv[1])):
    if not f.endswith('.1'): continue
    t = open(os.path.join(sys.argv[1], f)).read()
    s = sections(t)
    ex = s.get('EXIT STATUS', [])
    env = [re.match(r'^\.It Ev (\S+)', l).group(1) for l in s.get('ENVIRONMENT', []) if re.match(r'^\.It Ev (\S+)', l)]
    # .It Ev A , B , C lists
    env2 = []
    for l in s.get('ENVIRONMENT', []):
        m = re.match(r'^\.It Ev (.*)$', l)
        if m: env2 += [w for w in m.group(1).replace(',', ' ').split() if re.match(r'^[A-Z][A-Z0-9_]*$', w)]
    res[f[:-2]] = {'codes': codes(ex), 'chobo7': any('chobo 7' in l for l in ex), 'env': env2,
                   'has_exit': 'EXIT STATUS' in s, 'has_env': 'ENVIRONMENT' in s}
json.dump(res, sys.stdout, indent=0)
