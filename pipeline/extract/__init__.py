"""Extract: pull Devin audit logs, guardrail violations and enrichment dimensions."""
