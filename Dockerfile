# syntax=docker/dockerfile:1
# The image the kubernetes backend's CronJobs run: `cronix trigger <app>.<job>` (docs/kubernetes.md).
# Built from the project's own wheel, in two stages:
#
#   docker build -t registry.example.com/cronix:1.0 .
#
# The trigger needs only the standard library; the redis extra is there for
# concurrency_scope: global (Redis locks). The pods run as uid/gid 10001 with a read-only
# root filesystem (the backend sets runAsNonRoot and mounts an emptyDir for lock files).
ARG PYTHON=3.11

FROM python:${PYTHON}-slim AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:${PYTHON}-slim
ARG EXTRAS=redis
COPY --from=wheel /wheels /wheels
RUN pip install --no-cache-dir "$(ls /wheels/cronix-*.whl)[${EXTRAS}]" \
 && rm -rf /wheels \
 && groupadd --gid 10001 cronix \
 && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin cronix
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
USER 10001:10001
ENTRYPOINT ["cronix"]
CMD ["--help"]
