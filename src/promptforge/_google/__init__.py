"""Everything Google-specific: settings, client construction, error mapping, model table.

Nothing here imports a Google SDK at module level; ``google.genai`` is imported when a
backend first builds its client.
"""
