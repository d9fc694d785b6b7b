"""The deployment files keep their promises: the image (Dockerfile) installs from the lock and
runs as a fixed non-root user with a health check; Docker Compose (deploy/compose.yaml) runs
PostgreSQL, the migrations, two workers and a proxy, with no health port open to the world; the
systemd unit (deploy/sopbot@.service) is sandboxed; and the guide (docs/deploy.md) and these
files name only settings that .env.example documents and commands that `sopbot` has."""

from __future__ import annotations

import argparse
import hashlib
import re
import shlex
import shutil
import struct
import subprocess
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from sopbot.bot.settings import Settings
from sopbot.cli import _parser
from sopbot.delivery import metrics
from sopbot.storage.database import Database
from sopbot.storage.migrate import upgrade

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
COMPOSE = REPO / "deploy" / "compose.yaml"
CADDYFILE = REPO / "deploy" / "Caddyfile"
NGINX_SITE = REPO / "deploy" / "nginx-sopbot.conf"
UNIT = REPO / "deploy" / "sopbot@.service"
GUIDE = REPO / "docs" / "deploy.md"
ENV_EXAMPLE = REPO / ".env.example"

# Coming from issue 22 on other branches at the same time (the health server, JSON logs,
# `sopbot backup` / `sopbot restore`): named by the deployment files before they exist here.
# The lead removes these two sets once those branches are merged.
# Variables the deployment files set for other programs: the postgres image's, matplotlib's.
OTHER_PROGRAMS_VARIABLES = {"POSTGRES_USER", "POSTGRES_DB", "MPLCONFIGDIR"}
# The names that are ours (or compose's), wherever they are written.
OUR_VARIABLE = re.compile(r"\b(?:SOPBOT|TELEGRAM|WEBHOOK|DATABASE|POSTGRES|COMPOSE)_[A-Z0-9_]+\b")
# Telegram posts webhooks to these ports only.
TELEGRAM_PORTS = {443, 80, 88, 8443}
COMPILERS = {"gcc", "g++", "cc", "clang", "make", "build-essential", "python3-dev"}


# --- the Dockerfile -------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction, its continuation lines joined."""

    name: str
    arguments: str


def dockerfile_stages() -> list[list[Instruction]]:
    """The Dockerfile's instructions, one list per stage (the ARGs before the first FROM in
    a stage of their own)."""
    stages: list[list[Instruction]] = [[]]
    logical = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if not logical and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            logical += line.rstrip()[:-1] + " "
            continue
        logical += line
        name, _, arguments = logical.strip().partition(" ")
        if name.upper() == "FROM":
            stages.append([])
        stages[-1].append(Instruction(name.upper(), arguments.strip()))
        logical = ""
    return stages


def final_stage() -> list[Instruction]:
    """The instructions of the image that ships."""
    return dockerfile_stages()[-1]


def arguments_of(stage: list[Instruction], name: str) -> list[str]:
    """The arguments of every `name` instruction in a stage."""
    return [i.arguments for i in stage if i.name == name]


def image_environment() -> dict[str, str]:
    """The ENV the final image sets."""
    environment: dict[str, str] = {}
    for arguments in arguments_of(final_stage(), "ENV"):
        for word in shlex.split(arguments):
            key, _, value = word.partition("=")
            environment[key] = value
    return environment


def test_the_image_is_built_in_two_stages_and_ships_no_compiler() -> None:
    stages = dockerfile_stages()
    assert len(stages) == 3  # the ARGs, the build stage, the final image
    assert arguments_of(stages[1], "FROM")[0].endswith("AS build")
    assert any(a.startswith("--from=build /opt/sopbot") for a in arguments_of(stages[2], "COPY"))
    installed = {
        word
        for run in arguments_of(stages[2], "RUN")
        if "apt-get install" in run
        for word in run.replace("&&", " ").split()
    }
    assert installed, "the final stage installs its Debian packages with apt-get"
    assert not installed & COMPILERS


def test_the_image_runs_as_a_fixed_user_that_is_not_root() -> None:
    stage = final_stage()
    (user,) = arguments_of(stage, "USER")
    uid, _, gid = user.partition(":")
    assert uid.isdigit()
    assert gid.isdigit()
    assert int(uid) != 0
    assert int(gid) != 0
    creating = " ".join(arguments_of(stage, "RUN"))
    assert f"useradd --uid {uid} --gid sopbot" in creating
    assert f"groupadd --gid {gid} sopbot" in creating
    # Nothing after USER switches back.
    assert [i.name for i in stage].index("USER") > max(
        n for n, i in enumerate(stage) if i.name in {"RUN", "COPY"}
    )


def test_dependencies_come_from_the_lock_checked_against_their_hashes() -> None:
    installs = [run for run in arguments_of(dockerfile_stages()[1], "RUN") if "pip install" in run]
    assert len(installs) == 2
    from_lock, project = installs
    assert "--require-hashes" in from_lock.split()
    assert "--only-binary=:all:" in from_lock.split()  # a missing wheel never needs a compiler
    assert from_lock.split()[-2:] == ["-r", "/src/requirements.lock"]
    assert "--no-deps" in project.split()  # every dependency came from the lock
    copied = " ".join(arguments_of(dockerfile_stages()[1], "COPY"))
    assert "requirements.lock /src/requirements.lock" in copied


def test_the_health_check_asks_healthz_on_the_health_port_with_python_alone() -> None:
    (check,) = arguments_of(final_stage(), "HEALTHCHECK")
    assert "CMD [" in check
    command = check[check.index("CMD ") + 4 :]
    assert command.startswith('["python", "-c", ')
    assert "urllib.request.urlopen" in command
    assert "127.0.0.1:%s/healthz" in command
    assert "os.environ.get('SOPBOT_HEALTH_PORT', '9180')" in command
    assert "curl" not in command
    assert "wget" not in command


def test_the_image_starts_the_bot_listening_for_the_proxy() -> None:
    stage = final_stage()
    assert arguments_of(stage, "ENTRYPOINT") == ['["sopbot"]']
    assert arguments_of(stage, "CMD") == ['["run"]']
    environment = image_environment()
    assert environment["WEBHOOK_LISTEN"] == "0.0.0.0"  # noqa: S104 - inside the container
    webhook_port = Settings.model_fields["webhook_port"].default
    assert environment["WEBHOOK_PORT"] == str(webhook_port)
    assert arguments_of(stage, "EXPOSE") == [str(webhook_port)]
    assert "sopbot/bin" in environment["PATH"]


def test_the_documents_and_the_anchors_are_in_volumes_the_user_owns() -> None:
    stage = final_stage()
    (volumes,) = arguments_of(stage, "VOLUME")
    volume_paths = [PurePosixPath(v) for v in yaml.safe_load(volumes)]
    environment = image_environment()
    for setting in ("SOPBOT_DOCUMENTS_DIR", "SOPBOT_AUDIT_ANCHOR_FILE"):
        path = PurePosixPath(environment[setting])
        assert any(path.is_relative_to(v) for v in volume_paths), setting
    made = " ".join(arguments_of(stage, "RUN"))
    for volume in volume_paths:
        assert str(volume) in made.split("chown -R sopbot:sopbot", 1)[1]
    # The SQLite default (relative) lands in the working directory, a volume too.
    (workdir,) = arguments_of(stage, "WORKDIR")
    assert PurePosixPath(workdir) in volume_paths


def test_the_build_context_leaves_out_secrets_and_data() -> None:
    lines = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*"  # everything is left out unless named
    taken = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    copied = {
        word.removeprefix("/src/")
        for copy in arguments_of(dockerfile_stages()[1], "COPY")
        for word in copy.split()[:-1]
    }
    assert copied <= taken
    assert not taken & {".env", "var", ".git", ".venv"}


# --- Docker Compose -------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    """deploy/compose.yaml as Compose reads it (anchors and merge keys resolved)."""
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return loaded


def sopbot_services() -> dict[str, dict[str, Any]]:
    """The services that run sopbot's image."""
    return {
        name: service
        for name, service in compose()["services"].items()
        if service.get("image") == "sopbot:local"
    }


def workers() -> dict[str, dict[str, Any]]:
    """The services that `up` starts running `sopbot run` (the image's default command)."""
    return {
        name: service
        for name, service in sopbot_services().items()
        if "command" not in service and "profiles" not in service
    }


def test_compose_runs_postgresql_the_migration_two_workers_and_a_proxy() -> None:
    services = compose()["services"]
    assert set(services) >= {"postgres", "migrate", "proxy"}
    assert len(workers()) == 2
    postgres = services["postgres"]
    major = int(re.fullmatch(r"postgres:(\d+)-bookworm", postgres["image"]).group(1))  # type: ignore[union-attr]
    assert major >= 15
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
    assert "pg_isready" in postgres["healthcheck"]["test"]
    # `sopbot backup` runs the image's pg_dump, which refuses a newer server.
    client = " ".join(arguments_of(final_stage(), "RUN"))
    assert f"postgresql-client-{major}" in client
    migrate = services["migrate"]
    assert migrate["command"] == ["db", "upgrade"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert migrate["restart"] == "no"


def test_the_workers_start_after_the_migration_in_webhook_mode() -> None:
    names = set()
    for service in workers().values():
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert service["environment"]["WEBHOOK_URL"].startswith("https://")
        assert service["env_file"] == ".env"
        assert service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]
        assert int(service["stop_grace_period"].removesuffix("s")) >= 60
        names.add(service["container_name"])
    assert len(names) == 2


def test_no_worker_port_is_open_to_the_world() -> None:
    for name, service in sopbot_services().items():
        for port in service.get("ports", []):
            host, _, container = str(port).rpartition(":")
            assert host.startswith("127.0.0.1:"), f"{name} publishes {port} beyond the loopback"
            assert container != service["environment"]["WEBHOOK_PORT"]
    published = {int(str(p).split(":")[-2]) for p in compose()["services"]["proxy"]["ports"]}
    assert 443 in published
    assert published <= TELEGRAM_PORTS


def test_the_database_network_has_no_way_out() -> None:
    networks = compose()["networks"]
    assert networks["backend"]["internal"] is True
    assert compose()["services"]["postgres"]["networks"] == ["backend"]


def webhook_path_for(token: str) -> str:
    """The path a worker serves, as `sopbot run` derives it from the token."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def test_caddy_passes_on_only_the_webhook_to_both_workers() -> None:
    caddyfile = CADDYFILE.read_text(encoding="utf-8")
    (pattern,) = re.findall(r"path_regexp (\S+)", caddyfile)
    path = webhook_path_for("123456789:AAF-some-token")
    assert re.fullmatch(pattern, f"/telegram/{path}")
    for other in ("/metrics", "/readyz", "/healthz", f"/telegram/{path}/x", "/telegram/"):
        assert not re.fullmatch(pattern, other)
    assert "uri strip_prefix /telegram" in caddyfile
    port = Settings.model_fields["webhook_port"].default
    (upstreams,) = re.findall(r"reverse_proxy ([^{]+)\{", caddyfile)
    assert set(upstreams.split()) == {f"{name}:{port}" for name in workers()}
    for service in workers().values():
        assert service["environment"]["WEBHOOK_URL"].endswith("/telegram")
    # A restarting worker is skipped: the update is retried on the other one with its body
    # buffered; the workers are watched on their health port, and a failed retry does not
    # mark the healthy one down (no passive checks).
    assert "lb_try_duration" in caddyfile
    assert "request_buffers 1MB" in caddyfile
    assert f"health_port {image_environment()['SOPBOT_HEALTH_PORT']}" in caddyfile
    assert "health_uri /healthz" in caddyfile
    assert "fail_duration" not in caddyfile


# --- nginx (the systemd way) ----------------------------------------------------------------


def test_nginx_passes_on_only_the_webhook_to_the_two_workers() -> None:
    site = NGINX_SITE.read_text(encoding="utf-8")
    upstream_ports = {int(p) for p in re.findall(r"server 127\.0\.0\.1:(\d+)", site)}
    guide_ports = {int(p) for p in re.findall(r"WEBHOOK_PORT=(\d+)", guide_text())}
    assert upstream_ports == guide_ports
    assert len(upstream_ports) == 2
    assert site.count("proxy_pass ") == 1
    (pattern,) = re.findall(r'location ~ "([^"]+)"', site)
    path = webhook_path_for("123456789:AAF-some-token")
    assert re.fullmatch(pattern.replace("?<", "?P<"), f"/telegram/{path}")
    assert not re.fullmatch(pattern.replace("?<", "?P<"), "/telegram/metrics")
    assert "listen 443 ssl;" in site


# --- the systemd unit -----------------------------------------------------------------------


def unit_settings() -> dict[str, list[str]]:
    """The unit's [Service] settings, every value of a key that repeats."""
    settings: dict[str, list[str]] = {}
    section = ""
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line
        elif section == "[Service]":
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def test_the_unit_runs_each_worker_with_its_own_ports_and_restarts_it_on_failure() -> None:
    unit = unit_settings()
    assert unit["EnvironmentFile"] == ["/etc/sopbot/sopbot.env", "/etc/sopbot/worker-%i.env"]
    assert unit["ExecStart"] == ["/opt/sopbot/bin/sopbot run"]
    assert unit["Restart"] == ["on-failure"]
    assert unit["RestartPreventExitStatus"] == ["2"]  # a setting that cannot work
    assert int(unit["TimeoutStopSec"][0].removesuffix("s")) >= 60
    assert unit["User"] == ["sopbot"] or unit.get("DynamicUser") == ["yes"]
    # The per-instance files set the ports that differ, as the guide writes them.
    assert re.findall(r"worker-(\d)\.env", guide_text()) == ["1", "2"]


def test_the_unit_is_sandboxed() -> None:
    unit = unit_settings()
    expected = {
        "ProtectSystem": ["strict"],
        "ProtectHome": ["yes"],
        "PrivateTmp": ["yes"],
        "NoNewPrivileges": ["yes"],
        "CapabilityBoundingSet": [""],
        "MemoryDenyWriteExecute": ["yes"],
        "RestrictAddressFamilies": ["AF_UNIX AF_INET AF_INET6"],
    }
    for key, value in expected.items():
        assert unit.get(key) == value, key
    assert "@system-service" in unit["SystemCallFilter"]
    writable = set(unit["ReadWritePaths"][0].split())
    assert writable == {"/var/lib/sopbot", "/var/lib/sopbot-anchors"}
    # The guide's paths for the documents and the anchors are the writable ones.
    for setting in ("SOPBOT_DOCUMENTS_DIR", "SOPBOT_AUDIT_ANCHOR_FILE"):
        (value,) = re.findall(rf"^\s*{setting}=(\S+)$", guide_text(), re.MULTILINE)
        assert any(PurePosixPath(value).is_relative_to(w) for w in writable), setting


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_reads_the_unit_without_a_complaint(tmp_path: Path) -> None:
    # The program is not installed here: an executable that is keeps verify on the rest.
    text = UNIT.read_text(encoding="utf-8").replace(
        "ExecStart=/opt/sopbot/bin/sopbot run", f"ExecStart={shutil.which('true')}"
    )
    (tmp_path / "sopbot@.service").write_text(text, encoding="utf-8")
    (tmp_path / "sopbot@1.service").symlink_to("sopbot@.service")
    verified = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "sopbot@1.service")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (verified.returncode, verified.stdout + verified.stderr) == (0, "")


PT_GNU_STACK = 0x6474E551
PT_DYNAMIC = 2
PF_X = 1
DT_TEXTREL = 22
DT_FLAGS = 30
DF_TEXTREL = 0x4


def needs_writable_code(elf: bytes) -> str | None:
    """Why a 64-bit little-endian shared library would fail under MemoryDenyWriteExecute
    (an executable stack, or relocations in its text), or None."""
    phoff = struct.unpack_from("<Q", elf, 0x20)[0]
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    stack_flags = None
    for n in range(phnum):
        p_type, p_flags, p_offset = struct.unpack_from("<IIQ", elf, phoff + n * phentsize)
        p_filesz = struct.unpack_from("<Q", elf, phoff + n * phentsize + 32)[0]
        if p_type == PT_GNU_STACK:
            stack_flags = p_flags
        elif p_type == PT_DYNAMIC:
            for d in range(0, p_filesz - 15, 16):
                tag, value = struct.unpack_from("<qQ", elf, p_offset + d)
                if tag == DT_TEXTREL or (tag == DT_FLAGS and value & DF_TEXTREL):
                    return "text relocations"
    if stack_flags is None or stack_flags & PF_X:
        return "an executable stack"
    return None


def shared_libraries() -> Iterator[Path]:
    """The native libraries of the installed dependencies."""
    folders = {Path(sysconfig.get_paths()[key]) for key in ("purelib", "platlib")}
    for folder in folders:
        for path in folder.rglob("*.so*"):
            if path.is_file() and not path.is_symlink():
                yield path


def test_no_installed_library_needs_writable_executable_memory() -> None:
    """The unit's MemoryDenyWriteExecute=yes holds while no library asks for W+X memory."""
    checked, refused = 0, {}
    for path in shared_libraries():
        with path.open("rb") as library:
            head = library.read(6)
            if head[:4] != b"\x7fELF" or head[4:6] != b"\x02\x01":  # ELF64, little-endian
                continue
            library.seek(0)
            why = needs_writable_code(library.read())
        checked += 1
        if why is not None:
            refused[str(path)] = why
    assert checked > 20  # numpy, matplotlib, pypdfium2, lxml, Pillow, psycopg, ...
    assert refused == {}


# --- what the files name --------------------------------------------------------------------


def guide_text() -> str:
    """docs/deploy.md."""
    return GUIDE.read_text(encoding="utf-8")


def documented_settings() -> set[str]:
    """The variables .env.example sets."""
    return {
        line.partition("=")[0].strip()
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.startswith("#")
    }


def named_variables() -> dict[str, set[str]]:
    """Every environment variable a deployment file names, by file."""
    named = {
        path.name: set(OUR_VARIABLE.findall(path.read_text(encoding="utf-8")))
        for path in (DOCKERFILE, COMPOSE, CADDYFILE, NGINX_SITE, UNIT, GUIDE)
    }
    for service in sopbot_services().values():
        named[COMPOSE.name] |= set(service["environment"])
    named[UNIT.name] |= {
        value.partition("=")[0] for value in unit_settings().get("Environment", [])
    }
    named[DOCKERFILE.name] |= {
        key for key in image_environment() if not key.startswith("PYTHON") and key != "PATH"
    }
    return named


def test_every_variable_the_deployment_names_is_documented_in_env_example() -> None:
    known = documented_settings() | OTHER_PROGRAMS_VARIABLES
    unknown = {
        file: sorted(names - known) for file, names in named_variables().items() if names - known
    }
    assert unknown == {}


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """A parser's subcommands by name (none: empty)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def code_in(markdown: str) -> str:
    """The inline code and the code blocks of a Markdown text."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", markdown, re.DOTALL)
    prose = re.sub(r"```[a-z]*\n.*?```", "", markdown, flags=re.DOTALL)
    return "\n".join(blocks + re.findall(r"`([^`\n]+)`", prose))


def named_commands() -> set[tuple[str, ...]]:
    """Each `sopbot` command the guide names (its words up to the first option or value),
    the compose one-offs (`run --rm cli ...`) included."""
    code = code_in(guide_text())
    words = r"([a-z][a-z-]*(?: [a-z][a-z-]*)?)"
    found = set(re.findall(rf"(?:^|[\s/(])sopbot {words}", code, re.MULTILINE))
    found |= set(re.findall(rf"run --rm cli {words}", code))
    return {tuple(command.split()) for command in found}


def test_every_command_the_guide_names_exists() -> None:
    commands = named_commands()
    assert ("db", "upgrade") in commands
    assert ("run",) in commands
    missing = []
    for command in commands:
        parser = _parser()
        for depth, word in enumerate(command):
            choices = subcommands(parser)
            if not choices and depth > 0:
                break  # the rest are the command's values
            if word not in choices:
                missing.append(" ".join(command))
                break
            parser = choices[word]
    assert missing == []


def test_the_commands_the_files_run_exist() -> None:
    ran = [
        tuple(yaml.safe_load(arguments_of(final_stage(), "ENTRYPOINT")[0]))
        + tuple(yaml.safe_load(arguments_of(final_stage(), "CMD")[0])),
        ("sopbot", *compose()["services"]["migrate"]["command"]),
        tuple(unit_settings()["ExecStart"][0].split()),
    ]
    for command in ran:
        parser = _parser()
        for word in command[1:]:
            parser = subcommands(parser)[word]
        assert parser.get_default("handler") is not None, command


def test_the_readme_points_to_the_deploy_guide() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "(docs/deploy.md)" in readme


def test_every_metric_the_guide_names_is_served(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'sopbot.db'}")
    upgrade(database)
    collector = metrics.watch_backlog(database)  # as a running worker serves it
    try:
        served = metrics.exposition().decode()
    finally:
        metrics.stop_watching(collector)
    named = set(re.findall(r"\bsopbot_[a-z0-9_]+", (REPO / "docs" / "deploy.md").read_text()))
    assert named
    # Named in a sample line, or (a labelled metric nothing has counted yet) its TYPE line.
    missing = sorted(name for name in named if name not in served)
    assert missing == []
