"""EdgeIQ "Execute Fleet Action" and its bulk responses. Testing plan: PLAN.md beside this file."""
