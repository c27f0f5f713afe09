"""Nexthink Act API v2 (classic): the run endpoint. Testing plan: see PLAN.md beside this file."""
