"""Run a grading kernel in a sandbox: bubblewrap (``bwrap``), as root or as an ordinary user.

Every kernel is started through the launcher (:mod:`.launch`: ``python -m reglab_autograder.sandbox.launch SPEC --
KERNEL_ARGV``), which runs outside the sandbox, in the grader's environment, and then execs ``bwrap``.
The same ``bwrap`` command line is used whoever runs the grader:

* new user, network, IPC, PID, UTS and cgroup namespaces (``--unshare-all --unshare-user``): no network
  at all (the kernel talks to the grader over Unix sockets), System V IPC objects and every process of
  the job die with it, and the kernel cannot create further user namespaces (``--disable-userns``);
* a mount namespace built from an **allow-list**: ``/usr`` read-only, the Python installation and the
  virtual environment read-only (with the grader's own package masked), the course library read-only,
  a few ``/etc`` files, fresh ``/proc`` and ``/dev``; nothing else of the host exists inside (no
  solutions, gradebook, other submissions, home folders, host ``/tmp``). Directories are passed to
  ``bwrap`` as open file descriptors (``--ro-bind-fd``), so the unprivileged sandbox user needs no
  access to their paths;
* a private working directory and ``/tmp``, each a size-capped tmpfs that disappears with the job;
  the submission's own files are copied in (``--file``), never its notebooks, never a link;
* ``PR_SET_NO_NEW_PRIVS`` and no capabilities (bwrap does both for an unprivileged caller), every
  mount ``nosuid``: a setuid program inside gains nothing;
* resource limits (setrlimit, inherited by every process of the job): memory per process, CPU seconds,
  processes, file size, no core dumps.

As **root**, before it execs ``bwrap``, the launcher also puts the job into cgroup (v1) ``memory`` and
``pids`` groups created by the grader (``memory_mb`` across all of a notebook's processes), binds the
allow-listed folders under a staging tmpfs of a private mount namespace (so that the sandbox uid can
reach a Python installed under ``/root``), and drops to a uid of its own (one per worker slot of the
run, no supplementary groups): ``bwrap`` then runs unprivileged, exactly as for an ordinary user.
As an ordinary user there is no cgroup the grader may write to: :func:`.processes.memory_watchdog`, run by the
kernel's launcher outside the sandbox, holds the kernel's processes together under ``memory_mb`` (checked every
:data:`.processes.WATCH_SECONDS`), and the processes' count is capped. :func:`.probe.probe` says which limits apply,
and each job record carries it.

Its modules: :mod:`.layout` (paths inside, limits, the kernel's environment and log), :mod:`.spec` (the launch spec
the launcher reads: :class:`~.spec.LaunchSpec`, its :class:`~.spec.SandboxPolicy`), :mod:`.probe`, :mod:`.cgroups`,
:mod:`.processes` (process trees, the memory watchdog, reaping), :mod:`.launch` (the launcher and ``bwrap``'s command
line), :mod:`.forkserver` and :mod:`.zygote` (the fork server and its in-sandbox half).

By default a worker does not start one such sandbox per kernel: it starts one per worker process, whose
process (a fork server, :mod:`.forkserver` and :mod:`.zygote`) has imported the course's modules and forks
each notebook's kernel into namespaces, private folders, cgroups and limits of its own, with no capability
left; the launcher above then runs that fork server instead of a kernel.

The grader reaches the kernel's sockets, which live in a tmpfs inside the sandbox, through
``/proc/<pid>/root`` of the sandbox's first process (a symlink in the job's private folder points
there): the kernel has no writable path on the host at all.
"""
