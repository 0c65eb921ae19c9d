"""``cronix run`` on Kubernetes: a Job made from the CronJob, as ``kubectl create job --from`` makes it.

A pure function over the live CronJob (:func:`manual_job`), so the object is the same
whoever asks, and the backend only creates it. What kubectl does (``create job
--from=cronjob/NAME``): the Job's spec is the CronJob's ``jobTemplate.spec``, its labels and
annotations are the template's plus ``cronjob.kubernetes.io/instantiate: manual``, and it
is owned by the CronJob (an owner reference with ``controller: true``, so deleting the
CronJob deletes it, and the CronJob's history lists it; an owner reference needs the
CronJob's ``uid``, which every API server assigns). cronix adds two environment
variables to every container: ``CRONIX_FIRE_TIME`` (the occurrence, so the pod's trigger
sends that fire id) and ``CRONIX_MANUAL_RUN=1`` (recorded as manual, D-742).

The name is ``<cronjob>-m<fire time in base 36>``: at most 52 + 9 characters (a Job name may
have 63), and the same for the same occurrence, so backfilling one twice is refused by the
API server (409) instead of running it twice.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cronix.backends.base import ManualRun

__all__ = ["INSTANTIATE", "manual_job", "manual_job_name"]

#: The annotation kubectl puts on a Job it made from a CronJob by hand.
INSTANTIATE = ("cronjob.kubernetes.io/instantiate", "manual")
_ENV = ("CRONIX_FIRE_TIME", "CRONIX_MANUAL_RUN")
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def manual_job_name(cron_job_name: str, fire_time: int) -> str:
    n, digits = max(fire_time, 0), ""
    while True:
        n, r = divmod(n, 36)
        digits = _DIGITS[r] + digits
        if n == 0:
            break
    return f"{cron_job_name}-m{digits}"


def manual_job(cron_job: dict[str, Any], run: ManualRun) -> dict[str, Any]:
    """The Job that runs ``cron_job`` once for ``run`` (see the module docstring)."""
    meta = cron_job.get("metadata") or {}
    template = copy.deepcopy((cron_job.get("spec") or {}).get("jobTemplate") or {})
    template_meta = template.get("metadata") or {}
    spec = template.get("spec") or {}
    pod = (spec.get("template") or {}).get("spec") or {}
    for container in pod.get("containers") or []:
        env = [e for e in container.get("env") or [] if e.get("name") not in _ENV]
        env.append({"name": "CRONIX_FIRE_TIME", "value": str(run.fire_time)})
        env.append({"name": "CRONIX_MANUAL_RUN", "value": "1"})
        container["env"] = env
    owner = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "name": str(meta.get("name", "")),
        "uid": str(meta.get("uid", "")),
        "controller": True,
    }
    annotations = {**(template_meta.get("annotations") or {}), INSTANTIATE[0]: INSTANTIATE[1]}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": manual_job_name(str(meta.get("name", "")), run.fire_time),
            "labels": dict(template_meta.get("labels") or {}),
            "annotations": annotations,
            "ownerReferences": [owner],
        },
        "spec": spec,
    }
