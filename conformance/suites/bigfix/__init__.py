"""BigFix REST API action resources. Testing plan: see PLAN.md beside this file."""
