"""Partnering: scorecards and indicators, recommendations, batch matching, event scheduling, introductions."""
