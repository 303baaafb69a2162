"""Custom actions of the assistant (rasa-sdk): intake form, submission, hand-off, progress."""
