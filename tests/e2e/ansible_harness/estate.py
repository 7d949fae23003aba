"""A test estate of Linux hosts made of namespaces, reached by Ansible over real SSH.

Why this shape: the role must be proven against real hosts (its own users, files, processes,
ports, a real SSH connection), several of them, on one machine without systemd as PID 1 and with
no network beyond loopback. So every host is

- a network namespace with its own loopback and one veth on a bridge, so every collector listens on
  the same ports (4317, 13133, ...) as it would on its own VM, and agents reach gateways by name over
  a real network hop;
- a mount namespace whose /etc, /opt, /var, /usr/local, /root and /home are overlays over this
  machine's (writes go to a per-host upper directory, so the role's users, configs and binaries
  on one host are invisible to the others and to the machine), with a private /run;
- a UTS namespace with the host's name, and Debian's sshd running inside all three as the host's
  only long-lived process; every SSH session, and so every task and every process the role starts,
  lives in that host. Whatever this machine itself has where the role writes (HIDDEN) is hidden
  from the hosts, so each starts clean.

The controller (ansible-playbook), the loopback HTTP server for binary downloads and the backend
sink live in one more namespace, the lab, which holds the bridge. Nothing is added to this
machine's own network namespace, and every address is in 198.18.0.0/24 (RFC 2544's benchmarking
range) inside namespaces made here. `stop()` kills every process in each namespace and deletes
them; the fixtures call it even when a test fails.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SUBNET = "198.18.0"
LAB_ADDRESS = f"{SUBNET}.1"
OVERLAID = ("etc", "opt", "var", "usr/local", "root", "home")
# What the role and the playbook create, hidden (an overlay whiteout) where this machine happens to
# have it, so every host starts as a fresh one would.
HIDDEN = ("etc/otelcol", "opt/otelcol", "var/lib/otelcol", "var/log/otelcol", "etc/systemd/system/otelcol.service",
          "etc/default/opentelemetry-shop", "etc/systemd/system/shop.service.d")
SSHD = "/usr/sbin/sshd"


def missing_tools() -> list[str]:
    tools = ["ip", "unshare", "nsenter", "ssh", "ssh-keygen", SSHD, "start-stop-daemon", "setpriv", "sudo"]
    # The hosts run start-stop-daemon over ssh, where root's PATH has the sbin directories; a test
    # process may be started with a PATH without them.
    search = os.pathsep.join([os.environ.get("PATH", os.defpath), "/usr/sbin", "/sbin"])
    return [t for t in tools if not shutil.which(t, path=search) and not Path(t).is_file()]


def _run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("check", True)
    return subprocess.run(argv, capture_output=True, text=True, timeout=kwargs.pop("timeout", 60), **kwargs)


@dataclass
class Host:
    name: str
    address: str
    namespace: str
    upper: Path
    sshd: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def pid(self) -> int:
        assert self.sshd is not None, f"{self.name} is not running"
        return self.sshd.pid


@dataclass
class Estate:
    workdir: Path
    names: list[str]
    extra_names: dict[str, str] = field(default_factory=dict)   # name -> address (e.g. the lab)
    token: str = field(default_factory=lambda: secrets.token_hex(2))
    hosts: dict[str, Host] = field(default_factory=dict)

    @property
    def lab(self) -> str:
        return f"tg{self.token}-lab"

    @property
    def bridge(self) -> str:
        return f"tg{self.token}br"

    # -- building
    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        # Control sockets need a short path (sun_path is 108 bytes).
        self.control_dir = Path(tempfile.mkdtemp(prefix="tgcm"))
        self._keys()
        _run(["ip", "netns", "add", self.lab])
        _run(["ip", "-n", self.lab, "link", "set", "lo", "up"])
        _run(["ip", "-n", self.lab, "link", "add", self.bridge, "type", "bridge"])
        _run(["ip", "-n", self.lab, "addr", "add", f"{LAB_ADDRESS}/24", "dev", self.bridge])
        _run(["ip", "-n", self.lab, "link", "set", self.bridge, "up"])
        for index, name in enumerate(self.names):
            self.hosts[name] = Host(name, f"{SUBNET}.{11 + index}", f"tg{self.token}-h{index}",
                                    self.workdir / "hosts" / name)
        for index, host in enumerate(self.hosts.values()):
            self._network(host, index)
            self._filesystem(host)
        for host in self.hosts.values():
            self._boot(host)
        for host in self.hosts.values():
            self._wait_ssh(host)
        self._client_config()

    def _keys(self) -> None:
        self.key = self.workdir / "id_ed25519"
        _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "tracegen-e2e", "-f", str(self.key)])

    def _network(self, host: Host, index: int) -> None:
        veth = f"tg{self.token}v{index}"
        _run(["ip", "netns", "add", host.namespace])
        _run(["ip", "link", "add", veth, "netns", self.lab, "type", "veth", "peer", "name", "eth0",
              "netns", host.namespace])
        _run(["ip", "-n", self.lab, "link", "set", veth, "master", self.bridge])
        _run(["ip", "-n", self.lab, "link", "set", veth, "up"])
        for argv in (["link", "set", "lo", "up"], ["link", "set", "eth0", "up"],
                     ["addr", "add", f"{host.address}/24", "dev", "eth0"]):
            _run(["ip", "-n", host.namespace, *argv])

    def names_to_addresses(self) -> dict[str, str]:
        return {**{h.name: h.address for h in self.hosts.values()}, **self.extra_names}

    def _filesystem(self, host: Host) -> None:
        upper = host.upper
        for sub in OVERLAID:
            (upper / "upper" / sub).mkdir(parents=True, exist_ok=True)
            (upper / "overlay-work" / sub).mkdir(parents=True, exist_ok=True)
        for path in HIDDEN:
            if os.path.lexists(f"/{path}"):
                whiteout = upper / "upper" / path
                whiteout.parent.mkdir(parents=True, exist_ok=True)
                os.mknod(whiteout, 0o600 | stat.S_IFCHR, os.makedev(0, 0))
        etc = upper / "upper" / "etc"
        lines = ["127.0.0.1 localhost", f"127.0.1.1 {host.name} {host.name.split('.')[0]}"]
        lines += [f"{address} {name}" for name, address in sorted(self.names_to_addresses().items())
                  if name != host.name]
        (etc / "hosts").write_text("\n".join(lines) + "\n")
        (etc / "hostname").write_text(host.name + "\n")
        ssh = etc / "ssh"
        ssh.mkdir(exist_ok=True)
        hostkey = ssh / "ssh_host_ed25519_key"
        _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", host.name, "-f", str(hostkey)])
        (ssh / "sshd_config").write_text("\n".join([
            f"ListenAddress {host.address}:22",
            "HostKey /etc/ssh/ssh_host_ed25519_key",
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "PidFile /run/sshd.pid",
            "MaxSessions 50",
            "MaxStartups 50",
            "Subsystem sftp internal-sftp",
            "LogLevel ERROR",
        ]) + "\n")
        dotssh = upper / "upper" / "root" / ".ssh"
        dotssh.mkdir(parents=True, exist_ok=True)
        dotssh.chmod(0o700)
        keys = dotssh / "authorized_keys"
        keys.write_text(Path(f"{self.key}.pub").read_text())
        keys.chmod(0o600)

    def _boot(self, host: Host) -> None:
        mounts = [f"mount -t overlay overlay -o lowerdir=/{sub},upperdir={host.upper}/upper/{sub},"
                  f"workdir={host.upper}/overlay-work/{sub} /{sub}" for sub in OVERLAID]
        script = " && ".join([
            *mounts,
            "mount -t tmpfs -o mode=0755 tmpfs /run",
            "mkdir -p /run/sshd",
            f"hostname {host.name}",
            f"exec {SSHD} -D -e",
        ])
        host.log = host.upper / "sshd.log"
        with open(host.log, "w") as log:
            host.sshd = subprocess.Popen(
                ["ip", "netns", "exec", host.namespace, "unshare", "--mount", "--uts", "--propagation", "private",
                 "/bin/sh", "-c", script],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def _wait_ssh(self, host: Host, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if host.sshd is not None and host.sshd.poll() is not None:
                raise RuntimeError(f"sshd of {host.name} exited: {host.log.read_text() if host.log else ''}")
            probe = subprocess.run(["ip", "netns", "exec", self.lab, "bash", "-c",
                                    f"exec 3<>/dev/tcp/{host.address}/22 && head -c 4 <&3"],
                                   capture_output=True, text=True, timeout=10)
            if probe.stdout.startswith("SSH-"):
                return
            time.sleep(0.2)
        raise RuntimeError(f"sshd of {host.name} did not answer on {host.address}:22")

    def _client_config(self) -> None:
        """ssh_config and known_hosts for the controller: host names map to addresses, host keys are
        pinned (StrictHostKeyChecking yes), as on a real controller."""
        known = []
        config = []
        for host in self.hosts.values():
            public = (host.upper / "upper" / "etc" / "ssh" / "ssh_host_ed25519_key.pub").read_text().split()
            known.append(f"{host.name},{host.address} {public[0]} {public[1]}")
            config += [f"Host {host.name}", f"  HostName {host.address}", ""]
        self.known_hosts = self.workdir / "known_hosts"
        self.known_hosts.write_text("\n".join(known) + "\n")
        config += ["Host *", "  User root", f"  IdentityFile {self.key}", "  IdentitiesOnly yes",
                   f"  UserKnownHostsFile {self.known_hosts}", "  StrictHostKeyChecking yes",
                   "  ConnectTimeout 10", "  ServerAliveInterval 5"]
        self.ssh_config = self.workdir / "ssh_config"
        self.ssh_config.write_text("\n".join(config) + "\n")

    # -- using
    def in_lab(self, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.lab, *argv]

    def on_host(self, name: str, argv: list[str]) -> list[str]:
        """A command line that runs `argv` inside the host: its network, mount and UTS namespaces."""
        return ["nsenter", "--target", str(self.hosts[name].pid), "--net", "--mount", "--uts", "--", *argv]

    def host_run(self, name: str, argv: list[str], check: bool = True, timeout: float = 60,
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(self.on_host(name, argv), capture_output=True, text=True, check=check,
                              timeout=timeout, env=env)

    def read(self, name: str, path: str) -> str | None:
        result = self.host_run(name, ["cat", path], check=False)
        return result.stdout if result.returncode == 0 else None

    def ansible_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "ANSIBLE_SSH_ARGS": f"-F {self.ssh_config} -o ControlMaster=auto -o ControlPersist=60s",
            "ANSIBLE_SSH_CONTROL_PATH_DIR": str(self.control_dir),
            "ANSIBLE_PIPELINING": "1",
            "ANSIBLE_HOST_KEY_CHECKING": "1",
            "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3",   # the hosts' Debian Python, not the controller's
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_LOCAL_TEMP": str(self.workdir / "ansible-local"),
            "ANSIBLE_FORKS": "10",
        })
        return env

    # -- tearing down
    def _namespace_pids(self, namespace: str) -> list[int]:
        result = subprocess.run(["ip", "netns", "pids", namespace], capture_output=True, text=True)
        return [int(p) for p in result.stdout.split()] if result.returncode == 0 else []

    def stop(self) -> None:
        namespaces = [h.namespace for h in self.hosts.values()] + [self.lab]
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for namespace in namespaces:
                for pid in self._namespace_pids(namespace):
                    try:
                        os.kill(pid, sig)
                    except ProcessLookupError:
                        pass
            for host in self.hosts.values():
                if host.sshd is not None:
                    try:
                        host.sshd.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        pass
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and any(self._namespace_pids(n) for n in namespaces):
                time.sleep(0.2)
        for namespace in namespaces:
            subprocess.run(["ip", "netns", "delete", namespace], capture_output=True)
        if hasattr(self, "control_dir"):
            shutil.rmtree(self.control_dir, ignore_errors=True)

    def leftovers(self) -> list[str]:
        listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        return [line.split()[0] for line in listed.splitlines() if line.startswith(f"tg{self.token}-")]
