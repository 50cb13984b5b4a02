"""Templates and static assets of the web pages (vendored JavaScript in static/vendor, with its licences)."""
