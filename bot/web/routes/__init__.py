"""HTTP routes of the bot service, one module per audience."""
