#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
"""Walk README.md's "Try it" tour command by command (regress/daemon/tour.sh).

usage: tour.py README PORT SINKDIR WORKDIR

Reads the section "## Try it" of README: each "$ " line of an indented
block is a command (with the lines that follow until bash finds it
complete), the lines after it until the next command its answer as
shown.  The commands run one after the other in one bash in WORKDIR
(where run/ and tokenctl/ are), with 127.0.0.1:8055 changed to PORT;
their standard output is the answer (a terminal shows no progress).
An answer shown is matched against the real one: "..." stands for
anything, "X..." for a value the reader copies (the value there, for a
later command that writes "X..."), a uuid or a long token for one of
the same kind (idem); "(...)" lines are remarks.  "VAR=X... # ... mail"
takes the token of the link of the next mail in SINKDIR.  A command
shown without an answer must succeed.  One line per command: "ok
tour_NN", "FAILED tour_NN (...)", or SKIPPED when PENDING names it.
TOUR_VERBOSE=1 prints each command as run and its answer on stderr.
"""
import os
import re
import subprocess
import sys
import time

# Commands whose answer waits for a branch of issue 16 not merged yet:
# a substring of the command, and the branch.  EMPTY IT when they are in.
PENDING = {}

ELIDED = re.compile(r'([A-Za-z0-9_-]{2,})\.\.\.')
UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                  r'[0-9a-f]{12}')
LONG = re.compile(r'[A-Za-z0-9_-]{40,}')


def tour(readme):
    """The (command, shown answer) pairs of the section "## Try it"."""
    lines = open(readme, encoding='utf-8').read().split('\n')
    start = lines.index('## Try it')
    end = next(i for i in range(start + 1, len(lines))
               if lines[i].startswith('## '))
    pairs, i = [], start
    while i < end:
        line = lines[i]
        if not line.startswith('    $ '):
            i += 1
            continue
        cmd = line[6:]
        i += 1
        while not complete(cmd) and i < end:
            cmd += '\n' + strip4(lines[i])
            i += 1
        shown = []
        while i < end and lines[i].startswith('    ') and \
                not lines[i].startswith('    $ '):
            shown.append(lines[i][4:])
            i += 1
        pairs.append((cmd, remarks_out(shown)))
    return pairs


def strip4(line):
    return line[4:] if line.startswith('    ') else line


def complete(cmd):
    if cmd.endswith('\\'):
        return False
    r = subprocess.run(['bash', '-n'], input=cmd, text=True,
                       capture_output=True)
    return r.returncode == 0


def remarks_out(shown):
    """The answer without its "(...)" remarks."""
    out, inside = [], False
    for s in shown:
        if s.startswith('('):
            inside = True
        if not inside:
            out.append(s)
        if inside and s.rstrip().endswith(')'):
            inside = False
    while out and out[-1] == '':
        out.pop()
    return '\n'.join(out)


def pattern(shown):
    """A regex of the answer shown, and what each group stands for."""
    parts, names, pos = [], [], 0
    token = re.compile(r'(?P<el>[A-Za-z0-9_-]{2,}\.\.\.)|(?P<dots>\.\.\.)|'
                       r'(?P<uuid>' + UUID.pattern + r')|(?P<long>' +
                       LONG.pattern + r')')
    for m in token.finditer(shown):
        parts.append(re.escape(shown[pos:m.start()]))
        if m.group('el'):
            parts.append(r'([^"&\s,}\]]*)')
            names.append(m.group('el'))
        elif m.group('dots'):
            parts.append(r'.*?')
        elif m.group('uuid'):
            parts.append('(' + UUID.pattern + ')')
            names.append(m.group('uuid'))
        else:
            parts.append(r'([A-Za-z0-9_-]{40,})')
            names.append(m.group('long'))
        pos = m.end()
    parts.append(re.escape(shown[pos:]))
    return re.compile(''.join(parts), re.S), names


class Shell:
    """One bash, its variables kept from one command to the next."""

    def __init__(self, cwd):
        self.p = subprocess.Popen(['bash', '--norc', '--noprofile'],
                                  cwd=cwd, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True,
                                  bufsize=1)
        self.n = 0

    def run(self, cmd):
        self.n += 1
        end = f'__tour_end_{self.n}__'
        self.p.stdin.write(f'{{\n{cmd}\n}} 2>.tour-stderr < /dev/null\n'
                           f'printf "\\n{end} %d\\n" $?\n')
        self.p.stdin.flush()
        out = []
        for line in self.p.stdout:
            if line.startswith(end):
                status = int(line.split()[1])
                return status, ''.join(out).rstrip('\n')
            out.append(line)
        return 255, ''.join(out)


def mail_token(sink, used):
    """The token of the link of the next mail, waiting for it."""
    for _ in range(300):
        mails = sorted((int(f.split('.')[1]), f) for f in os.listdir(sink)
                       if re.fullmatch(r'mail\.\d+', f))
        for n, f in mails:
            if n in used:
                continue
            text = open(os.path.join(sink, f), encoding='utf-8',
                        errors='replace').read()
            m = re.search(r'\?token=([A-Za-z0-9._-]+)', text)
            used.add(n)
            if m:
                return m.group(1)
        time.sleep(0.1)
    return None


def main():
    readme, port, sink, work = sys.argv[1:5]
    values, used, failed = {}, set(), 0
    sh = Shell(work)
    for n, (cmd, shown) in enumerate(tour(readme), 1):
        name = f'tour_{n:02d}'
        first = cmd.split('\n')[0][:70]
        run = cmd.replace('127.0.0.1:8055', f'127.0.0.1:{port}')
        m = re.match(r'^(\w+)=([A-Za-z0-9_-]+\.\.\.)\s+#.*\bmail\b', run)
        if m:
            tok = mail_token(sink, used)
            if tok is None:
                print(f'FAILED {name} (no mail with a link: {first})')
                failed += 1
                continue
            run = f'{m.group(1)}={tok}'
        for key in sorted(values, key=len, reverse=True):
            run = run.replace(key, values[key])
        if ELIDED.search(run.split('#')[0]) and not m:
            print(f'FAILED {name} (no value for '
                  f'{ELIDED.search(run).group(0)}: {first})')
            failed += 1
            continue
        status, out = sh.run(run)
        if os.environ.get('TOUR_VERBOSE'):
            print(f'# {name}: $ {run}\n{out}', file=sys.stderr)
        why = None
        if shown:
            rx, names = pattern(shown.replace('127.0.0.1:8055',
                                              f'127.0.0.1:{port}'))
            got = rx.fullmatch(out)
            if got:
                for key, val in zip(names, got.groups()):
                    values[key] = val
            else:
                why = f'{first}: shown {shown[:200]!r}, got {out[:300]!r}'
        elif status != 0:
            err = open(os.path.join(work, '.tour-stderr'),
                       errors='replace').read()
            why = f'{first}: exit status {status}: {(out + err)[:200]!r}'
        pend = next((b for s, b in PENDING.items() if s in cmd), None)
        if why is None:
            print(f'ok {name}')
        elif pend:
            print(f'SKIPPED {name} (waits for {pend}: {why})')
        else:
            print(f'FAILED {name} ({why})')
            failed += 1
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
