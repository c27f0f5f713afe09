"""Redis Enterprise Software REST API actions requests. Testing plan: PLAN.md beside this file."""
