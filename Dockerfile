# sopbot's image: `sopbot run` by default; any other `sopbot` command by naming it
# (`docker run --rm --env-file .env IMAGE db upgrade`). How to deploy it: docs/deploy.md.
#
# Two stages: the first installs every dependency from requirements.lock (each file checked
# against its hashes, wheels only) and then sopbot itself into /opt/sopbot; the second copies
# that folder onto a clean image of the same Python. Neither stage needs a compiler, and the
# final image has none.

# Python 3.11 on Debian 12: the Python the lock is compiled for, and the one Debian 12 ships for
# the systemd deployment, so both ways run the same interpreter. Pin a digest here
# (python:3.11-slim-bookworm@sha256:...) to make rebuilds byte-for-byte repeatable.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/sopbot
COPY requirements.lock /src/requirements.lock
# --require-hashes: a file whose hash is not in the lock is refused. --only-binary: a package
# without a wheel fails the build here rather than needing a compiler.
RUN /opt/sopbot/bin/pip install --require-hashes --only-binary=:all: -r /src/requirements.lock
COPY pyproject.toml README.md /src/
COPY sop_defs /src/sop_defs
COPY sopbot /src/sopbot
# sopbot itself, without dependencies: they all came from the lock above.
RUN /opt/sopbot/bin/pip install --no-deps /src

FROM ${PYTHON_IMAGE}
# From Debian: pg_dump and pg_restore for `sopbot backup` / `sopbot restore` (Debian 12's, for
# PostgreSQL 15: a pg_dump refuses a server newer than itself), and the agencies' time zones
# (Asia/Jakarta, Asia/Makassar, Asia/Jayapura) from the system's tzdata. Not pinned to versions:
# Debian 12 only ships security fixes to them, and a pinned version disappears with the next.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-15 tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 sopbot \
    && useradd --uid 10001 --gid sopbot --home-dir /var/lib/sopbot \
        --no-create-home --shell /usr/sbin/nologin sopbot \
    && mkdir -p /var/lib/sopbot/documents /var/lib/sopbot-anchors \
    && chown -R sopbot:sopbot /var/lib/sopbot /var/lib/sopbot-anchors \
    && chmod 0750 /var/lib/sopbot /var/lib/sopbot-anchors
COPY --from=build /opt/sopbot /opt/sopbot

# Settings that belong to the container; everything else comes from the environment
# (`env_file:` in deploy/compose.yaml, `--env-file` with docker run), never from a .env
# baked into the image. A relative DATABASE_URL (the SQLite default, var/sopbot.db) lands in
# the data volume, the working directory.
ENV PATH=/opt/sopbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    SOPBOT_DOCUMENTS_DIR=/var/lib/sopbot/documents \
    SOPBOT_AUDIT_ANCHOR_FILE=/var/lib/sopbot-anchors/audit-anchors.jsonl \
    WEBHOOK_LISTEN=0.0.0.0 \
    WEBHOOK_PORT=8443 \
    SOPBOT_HEALTH_LISTEN=0.0.0.0 \
    SOPBOT_HEALTH_PORT=9180
# Every import, native libraries included, and the zones, checked while building (the font
# cache this leaves, root's, would keep the bot from writing its own: removed).
RUN sopbot --help > /dev/null \
    && pg_dump --version > /dev/null \
    && python -c "import zoneinfo; [zoneinfo.ZoneInfo(z) for z in ('Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura')]" \
    && rm -rf /tmp/matplotlib

WORKDIR /var/lib/sopbot
# The data (uploaded documents; the SQLite file when there is no PostgreSQL) and the audit
# anchors, kept apart so that the anchors can live on another disk.
VOLUME ["/var/lib/sopbot", "/var/lib/sopbot-anchors"]
# A fixed uid and gid (not root): a bind-mounted folder is chowned to 10001:10001.
USER 10001:10001

# The webhook (WEBHOOK_PORT). The health port (SOPBOT_HEALTH_PORT: /healthz, /readyz,
# /metrics) is deliberately not exposed: it is for the host's monitoring, not the world.
EXPOSE 8443
# /healthz answers while the process is alive; stdlib only, the image has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('SOPBOT_HEALTH_PORT', '9180'), timeout=4)"]
# SIGTERM: the bot finishes the updates in hand, then stops (give it time: compose's
# stop_grace_period).
STOPSIGNAL SIGTERM
ENTRYPOINT ["sopbot"]
CMD ["run"]
