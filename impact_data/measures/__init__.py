"""One function per figure: SQL in, a suppressed DataFrame out."""
