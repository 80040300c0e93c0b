"""The periodic jobs' admin page (project.schedules.ScheduleAdmin), registered here in place of
django-celery-beat's own, as project/ is no app for the admin to discover."""

from __future__ import annotations

from django.contrib import admin

from project.schedules import register_admin

register_admin(admin.site)
