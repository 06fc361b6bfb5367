#!/usr/bin/python
# -*- coding: utf-8 -*-
# Ansible module for nsplan: applies or destroys one nsplan profile on the managed host.
# Everything it decides comes from nsplan's --json documents (docs/json.md), never from its text.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: nsplan_profile
short_description: Apply or destroy an nsplan profile (cgroups, namespaces, network)
version_added: "0.1.0"
description:
  - Makes the cgroups, namespaces and virtual network an nsplan profile describes exist on the
    managed host (C(nsplan apply)), or removes everything the profile made (C(nsplan destroy)).
  - The profile is a file on the managed host (I(src)) or given inline (I(content)).
  - Whether the task C(changed) is what nsplan's JSON result says (C(changed) of the apply or
    destroy document; in check mode whether C(nsplan plan) has pending changes), not a guess from
    its text output.
  - Check mode runs C(nsplan plan) (for I(state=present)) or reads C(nsplan list) (for
    I(state=absent)) and changes nothing. Diff mode shows the plan's C(+), C(~) and C(-) lines,
    each with the profile line that asks for it.
  - A failure reports nsplan's first error, located as C(file:line:column) when the profile is at
    fault, with every diagnostic in the result.
options:
  name:
    description:
      - The profile's name (its C(name:) key).
      - With I(state=absent) the name alone is enough; no profile file is needed.
      - With I(state=present) the profile must have this name, or the task fails before anything
        is applied.
    type: str
  src:
    description:
      - Path of the profile file on the managed host. Relative C(include:) and C(extends:) are
        read from below its directory.
      - Mutually exclusive with I(content).
    type: path
  content:
    description:
      - The profile itself, as YAML text. It is written to a temporary file (mode 0600, in a
        new directory of mode 0700 below Ansible's remote temporary directory) that is removed
        when the task ends. That directory and every one above it must belong to root or the
        module's user and be writable by no one else (sticky ones such as C(/tmp) excepted), or
        the task fails before writing; set C(remote_tmp) if it does.
      - nsplan records the file a profile was applied from; for a profile given as I(content)
        that file is gone afterwards, so C(nsplan list) and C(nsplan status NAME) cannot compare
        the live system with it. Prefer I(src) for long-lived profiles.
      - Mutually exclusive with I(src).
    type: str
  state:
    description:
      - C(present) applies the profile (idempotent); C(absent) destroys what it made.
    type: str
    choices: [present, absent]
    default: present
  nsplan_path:
    description:
      - The nsplan binary. By default the one found in C(PATH).
    type: path
  cgroup_parent:
    description:
      - An existing cgroup below which the profile's cgroup is placed (C(--cgroup-parent)).
      - Give the value the profile was applied with to every task on it, C(state=absent) too;
        destroy refuses to remove a cgroup outside the parent it is given.
    type: str
  state_dir:
    description:
      - Where nsplan keeps its state, journal and locks (C(--state-dir)); nsplan's default is
        C(/run/nsplan).
    type: path
  strict:
    description:
      - A value without a faithful equivalent on this host's cgroup version is an error, not a
        warning (C(--strict)). Not used by destroy, which plans nothing.
    type: bool
    default: false
  kill:
    description:
      - With I(state=absent), kill the processes left in the profile's cgroups first (SIGKILL,
        C(nsplan destroy --kill)). Without it, destroy refuses while processes are inside and
        the task fails. In check mode nothing is killed.
    type: bool
    default: false
  wait:
    description:
      - Wait for another nsplan working on the same profile to finish instead of failing
        (C(--wait) of apply and destroy).
    type: bool
    default: false
notes:
  - Runs nsplan with C(--json), which needs an nsplan with the JSON output format version 1.
  - nsplan needs root (C(become) when connecting as another user).
  - When processes are still in the profile's cgroups, destroy refuses and the task fails; end
    them first (C(nsplan kill NAME)), or set I(kill).
  - The profile's warnings become task warnings (each once, whether plan, apply or both ran).
  - In check mode with I(state=absent), the task reports a change when nsplan lists the profile
    as applied here. A profile whose apply was interrupted (a journal without a state) is not
    listed, although destroy would roll it back.
requirements:
  - nsplan (with C(--json))
author:
  - nsplan project (!UNKNOWN)
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the target.
    support: full
  diff_mode:
    description: Shows the plan's changes when in diff mode.
    support: full
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: linux
'''

EXAMPLES = r'''
- name: Roll out the lab profile
  nsplan.nsplan.nsplan_profile:
    src: /etc/nsplan/lab.yaml
    state: present

- name: A small cgroup given inline
  nsplan.nsplan.nsplan_profile:
    content: |
      nsplan: 1
      name: batch
      cgroup:
        path: batch
        memory: {max: 2G}
        pids: {max: 512}

- name: Remove it again; the name is enough
  nsplan.nsplan.nsplan_profile:
    name: batch
    state: absent

- name: Below a delegated cgroup, with a state dir of its own
  nsplan.nsplan.nsplan_profile:
    src: /etc/nsplan/web.yaml
    cgroup_parent: delegated
    state_dir: /run/nsplan-web
    strict: true
'''

RETURN = r'''
profile:
  description: The profile's name.
  returned: when nsplan got as far as reading it
  type: str
  sample: lab
plan:
  description:
    - Check mode, I(state=present) - the changes apply would make, as C(nsplan plan) prints them
      (C(+) make, C(~) change, C(-) remove), each followed by the profile line that asks for it.
    - Check mode, I(state=absent) - the profile destroy would remove, as one line.
  returned: check mode
  type: list
  elements: str
  sample: ["~ /sys/fs/cgroup/lab/memory.max: 1073741824 -> 2147483648  (lab.yaml:8:12)"]
changes:
  description:
    - What apply made or changed, or what destroy removed, each a change record of nsplan's JSON
      (C(action), C(object), C(path), C(link), C(netns), C(before), C(after), C(from), C(text)).
  returned: when nsplan applied or destroyed
  type: list
  elements: dict
  sample: [{"action": "modify", "object": "cgroup_file", "path": "/sys/fs/cgroup/lab/memory.max",
            "before": "1073741824", "after": "2147483648", "from": "lab.yaml:8:12",
            "text": "~ /sys/fs/cgroup/lab/memory.max: 1073741824 -> 2147483648"}]
diagnostics:
  description:
    - What nsplan's profile compiler said (C(file), C(line), C(column), C(where), C(severity),
      C(message), C(hint)). Warnings are also reported as task warnings.
  returned: when nsplan ran a command that reports them (plan, check, and failures)
  type: list
  elements: dict
recovered:
  description: Undos replayed first from an interrupted apply's journal (apply, destroy).
  returned: when nsplan applied or destroyed
  type: int
  sample: 0
errors:
  description:
    - Every error of a failure, each with C(message) and C(hints) (the error document's
      C(errors); apply's C(error) and destroy's C(errors) in the same form).
  returned: failure
  type: list
  elements: dict
rc:
  description: nsplan's exit status (docs/cli.md); 1 for an invalid profile, 3 for a failure on the system.
  returned: when nsplan failed
  type: int
stderr:
  description: What nsplan printed for a person (warnings, errors with their source line).
  returned: always
  type: str
nsplan:
  description: The last JSON document nsplan printed, whole.
  returned: when nsplan printed one
  type: dict
'''

import os
import re
import stat
import tempfile
import json

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes

JSON_VERSION = 1      # the nsplan_json format this module reads (docs/json.md)
PLAN_PENDING = 4      # exit status of `nsplan plan` when changes are pending
CONTENT_LABEL = '<content>'


class NsplanFailure(Exception):
    """nsplan ran and failed; carries what fail_json reports."""

    def __init__(self, msg, **result):
        Exception.__init__(self, msg)
        self.msg = msg
        self.result = result


def located(diagnostic):
    where = diagnostic.get('where') or ''
    return (where + ': ' if where else '') + diagnostic.get('message', '')


def first_error_message(doc):
    """The first error of a failed command: a located diagnostic when the profile is at fault."""
    for diagnostic in doc.get('diagnostics') or []:
        if diagnostic.get('severity') == 'error':
            return located(diagnostic)
    if doc.get('kind') == 'apply' and doc.get('error'):
        return doc['error']
    if doc.get('kind') == 'destroy' and doc.get('errors'):
        return '; '.join(doc['errors'])
    return doc.get('message') or 'nsplan failed (exit status %s)' % doc.get('exit_status')


def errors_of(doc):
    """The errors of a failed command, each {message, hints}: the error document has them so;
    apply has one string, destroy a list of strings."""
    if doc.get('kind') == 'apply':
        return [{'message': doc['error'], 'hints': []}] if doc.get('error') else []
    return [e if isinstance(e, dict) else {'message': e, 'hints': []} for e in doc.get('errors') or []]


class Nsplan(object):
    """Runs nsplan commands with --json and returns their documents."""

    def __init__(self, module, binary, temp_profile=None):
        self.module = module
        self.warned = set()
        self.binary = binary
        self.temp_profile = temp_profile  # the file written from `content`, named <content> in messages
        self.last_rc = None
        self.last_stderr = ''

    def _relabel(self, text):
        if self.temp_profile and isinstance(text, str):
            return text.replace(self.temp_profile, CONTENT_LABEL)
        return text

    def _relabel_doc(self, value):
        if isinstance(value, dict):
            return dict((k, self._relabel_doc(v)) for k, v in value.items())
        if isinstance(value, list):
            return [self._relabel_doc(v) for v in value]
        return self._relabel(value)

    def run(self, args, ok_statuses=(0,)):
        cmd = [self.binary] + args
        rc, out, err = self.module.run_command(cmd, environ_update={'NO_COLOR': '1', 'LC_ALL': 'C'})
        self.last_rc, self.last_stderr = rc, self._relabel(err)
        try:
            doc = json.loads(out)
        except ValueError:
            doc = None
        if not isinstance(doc, dict) or 'nsplan_json' not in doc:
            lines = [line for line in err.splitlines() if line.strip()]
            raise NsplanFailure('nsplan %s printed no JSON document (exit status %d)%s'
                                % (args[0], rc, ': ' + self._relabel(lines[0]) if lines else ''),
                                rc=rc, stdout=out, stderr=self.last_stderr, cmd=cmd)
        if doc['nsplan_json'] != JSON_VERSION:
            raise NsplanFailure('nsplan speaks JSON format %s; this module reads version %d'
                                % (doc['nsplan_json'], JSON_VERSION), rc=rc, stderr=self.last_stderr)
        doc = self._relabel_doc(doc)
        self.report_warnings(doc)
        # check's "ok" is the profile's validity, which profile_name_of reads; apply's and
        # destroy's is whether they did their work.
        failed = (rc not in ok_statuses or doc.get('kind') == 'error'
                  or (doc.get('kind') in ('apply', 'destroy') and doc.get('ok') is False))
        if failed:
            raise NsplanFailure(first_error_message(doc), rc=rc, stderr=self.last_stderr, nsplan=doc,
                                changed=bool(doc.get('changed', False)),
                                diagnostics=doc.get('diagnostics', []), errors=errors_of(doc),
                                profile=doc.get('profile'))
        return doc

    def report_warnings(self, doc):
        diagnostics = list(doc.get('diagnostics') or [])
        for profile in doc.get('profiles') or []:
            if isinstance(profile, dict):
                diagnostics.extend(profile.get('diagnostics') or [])
        for diagnostic in diagnostics:
            warning = 'nsplan: ' + located(diagnostic)
            # plan and apply of one task report the same warnings: each is shown once.
            if diagnostic.get('severity') == 'warning' and warning not in self.warned:
                self.warned.add(warning)
                self.module.warn(warning)


def target_options(params, strict=True):
    args = []
    if params['cgroup_parent']:
        args += ['--cgroup-parent', params['cgroup_parent']]
    if params['state_dir']:
        args += ['--state-dir', params['state_dir']]
    if strict and params['strict']:
        args.append('--strict')
    return args


def change_lines(records):
    """The +/~/- lines of change records (apply's and destroy's), with their profile line."""
    lines = []
    for record in records:
        text = record.get('text') or record.get('change') or ''
        where = record.get('from')
        lines.append(text + ('  (%s)' % where if where else ''))
    return lines


def plan_lines(plan_doc):
    diff = plan_doc.get('diff') or {}
    return change_lines(diff.get('changes') or []) + list(diff.get('removals') or [])


def prepared(lines):
    return '\n'.join(lines) + '\n' if lines else ''


def ensure_present(module, nsplan, profile_file):
    params = module.params
    result = {}
    if module.check_mode or module._diff or params['name']:
        plan = nsplan.run(['plan', '--json'] + target_options(params) + ['--', profile_file],
                          ok_statuses=(0, PLAN_PENDING))
        if 'diff' not in plan:
            raise NsplanFailure('nsplan plan --json has no diff against this system', nsplan=plan)
        if params['name'] and plan.get('profile') != params['name']:
            raise NsplanFailure("the profile is named '%s', not '%s'" % (plan.get('profile'), params['name']),
                                profile=plan.get('profile'))
        lines = plan_lines(plan)
        result.update(profile=plan.get('profile'), diagnostics=plan.get('diagnostics', []))
        if module.check_mode:
            result.update(changed=bool(lines), plan=lines, nsplan=plan)
            if module._diff:
                result['diff'] = {'prepared': prepared(lines)}
            return result

    args = ['apply', '--json'] + target_options(params)
    if params['wait']:
        args.append('--wait')
    doc = nsplan.run(args + ['--', profile_file])
    records = (doc.get('changes') or []) + (doc.get('removed') or [])
    result.update(changed=bool(doc['changed']), profile=doc.get('profile'), changes=records,
                  recovered=doc.get('recovered', 0), nsplan=doc)
    if module._diff:
        result['diff'] = {'prepared': prepared(change_lines(records))}
    return result


def profile_name_of(nsplan, profile_file):
    """The name: of a profile file, through `nsplan check --json` (which reads it even when invalid)."""
    doc = nsplan.run(['check', '--json', '--', profile_file], ok_statuses=(0, 1))
    profiles = doc.get('profiles') or []
    name = profiles[0].get('profile') if profiles else None
    if not name:
        diagnostics = profiles[0].get('diagnostics', []) if profiles else []
        errors = [d for d in diagnostics if d.get('severity') == 'error']
        raise NsplanFailure(located(errors[0]) if errors else 'the profile has no name',
                            rc=nsplan.last_rc, stderr=nsplan.last_stderr, diagnostics=diagnostics, nsplan=doc)
    return name


def ensure_absent(module, nsplan, profile_file):
    params = module.params
    target = params['name'] or profile_file
    if module.check_mode:
        name = params['name'] or profile_name_of(nsplan, profile_file)
        listing = nsplan.run(['list', '--json'] + target_options(params, strict=False))
        applied = [p for p in listing.get('profiles') or [] if p.get('name') == name]
        lines = []
        for p in applied:
            lines.append('- profile %s (applied %s from %s): everything it made'
                         % (name, p.get('applied_at') or 'at an unknown time', p.get('source') or 'an unrecorded file'))
        result = dict(changed=bool(applied), profile=name, plan=lines, nsplan=listing)
        if module._diff:
            result['diff'] = {'prepared': prepared(lines)}
        return result

    args = ['destroy', '--json'] + target_options(params, strict=False)
    if params['wait']:
        args.append('--wait')
    if params['kill']:
        args.append('--kill')
    doc = nsplan.run(args + ['--', target])
    records = doc.get('removed') or []
    result = dict(changed=bool(doc['changed']), profile=doc.get('profile'), changes=records,
                  recovered=doc.get('recovered', 0), nsplan=doc)
    if module._diff:
        result['diff'] = {'prepared': prepared(change_lines(records))}
    return result


def looks_like_a_name(name):
    return (re.match(r'^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}\Z', name) is not None
            and not name.endswith(('.yaml', '.yml')))


def check_private_dir(path):
    """Refuses a directory someone other than root or this user could swap files in."""
    me = os.geteuid()
    current = os.path.abspath(path)
    while True:
        st = os.lstat(current)
        if stat.S_ISLNK(st.st_mode):
            return '%s is a symbolic link' % current
        if st.st_uid not in (0, me):
            return '%s is owned by uid %d' % (current, st.st_uid)
        if st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
            return '%s is writable by group or others' % current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def write_content(module, content):
    """Writes CONTENT to a new 0600 file in a new 0700 directory; returns (dir, file)."""
    directory = tempfile.mkdtemp(prefix='nsplan-profile-', dir=module.tmpdir)
    problem = check_private_dir(directory)
    if problem:
        os.rmdir(directory)
        module.fail_json(msg='refusing to write the profile below %s: %s' % (module.tmpdir, problem))
    fd, path = tempfile.mkstemp(prefix='profile-', suffix='.yaml', dir=directory)
    with os.fdopen(fd, 'wb') as f:  # mkstemp makes it 0600
        f.write(to_bytes(content, errors='surrogate_or_strict'))
    return directory, path


def remove_content(directory, path):
    for victim, remove in ((path, os.unlink), (directory, os.rmdir)):
        try:
            remove(victim)
        except OSError:
            pass


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str'),
            src=dict(type='path'),
            content=dict(type='str'),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            nsplan_path=dict(type='path'),
            cgroup_parent=dict(type='str'),
            state_dir=dict(type='path'),
            strict=dict(type='bool', default=False),
            kill=dict(type='bool', default=False),
            wait=dict(type='bool', default=False),
        ),
        mutually_exclusive=[('src', 'content')],
        required_if=[('state', 'present', ('src', 'content'), True),
                     ('state', 'absent', ('name', 'src', 'content'), True)],
        supports_check_mode=True,
    )
    params = module.params
    binary = params['nsplan_path'] or module.get_bin_path('nsplan', required=True)

    # destroy reads its argument as a file or a name by its form alone (docs/cli.md): a name must
    # look like one, and the file is given absolute, so neither can pass for the other.
    if params['name'] is not None and not looks_like_a_name(params['name']):
        module.fail_json(msg="'%s' is not a profile name: 1 to 64 letters, digits, '_', '.' or '-', "
                             "not first '.' or '-', not ending in .yaml or .yml" % params['name'])
    directory = profile_file = None
    if params['content'] is not None:
        directory, profile_file = write_content(module, params['content'])
    elif params['src']:
        profile_file = os.path.abspath(params['src'])

    nsplan = Nsplan(module, binary, temp_profile=profile_file if directory else None)
    try:
        if params['state'] == 'present':
            result = ensure_present(module, nsplan, profile_file)
        else:
            result = ensure_absent(module, nsplan, profile_file)
    except NsplanFailure as failure:
        failure.result.setdefault('stderr', nsplan.last_stderr)
        failure.result.setdefault('changed', False)
        module.fail_json(msg=failure.msg, **failure.result)
    finally:
        if directory:
            remove_content(directory, profile_file)

    # No rc on success: Ansible fails any result with a non-zero rc, and plan's 4 is no failure.
    result['stderr'] = nsplan.last_stderr
    module.exit_json(**result)


if __name__ == '__main__':
    main()
