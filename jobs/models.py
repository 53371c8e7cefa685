"""Rows that background work keeps: tasks waiting for the broker, and workers' pings.

The tables kept their names when these models moved here from `measures` (`db_table`)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerPing(models.Model):
    """A row written by the `ping` task: proof that a worker ran it against this database."""

    token = models.CharField(max_length=64, unique=True, verbose_name=_("token"))
    hostname = models.CharField(max_length=200, blank=True, verbose_name=_("hostname"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("worker ping")
        verbose_name_plural = _("worker pings")
        db_table = "measures_workerping"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.token} by {self.hostname or 'inline'}"


class QueuedTask(models.Model):
    """A Celery task that a write queued, written in the write's own transaction: it exists iff
    the write committed, and stays until the broker has taken it (see `jobs.outbox`)."""

    task = models.CharField(max_length=200, verbose_name=_("task"))
    args = models.JSONField(default=list, verbose_name=_("args"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    attempts = models.PositiveIntegerField(default=0, verbose_name=_("attempts"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))

    class Meta:
        verbose_name = _("queued task")
        verbose_name_plural = _("queued tasks")
        db_table = "measures_queuedtask"
        ordering = ["pk"]  # oldest first

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"

    def failed(self, error: Exception) -> None:
        """Note an attempt to publish it that the broker did not take."""
        self.attempts += 1
        self.last_error = f"{error.__class__.__name__}: {error}"[:2000]
        self.save(update_fields=["attempts", "last_error"])
