package jira

import (
	"errors"
	"net"
	"net/url"
	"strings"
)

// Errors of a base URL [NewClient] refuses. Their text never repeats the
// URL, which may carry a password or a token.
var (
	errBaseEmpty   = errors.New("jira: base URL is empty")
	errBaseNotURL  = errors.New("jira: base URL is not a URL; use https://your-site.atlassian.net")
	errBaseScheme  = errors.New("jira: base URL must start with https:// (http:// is accepted only for loopback addresses: 127.0.0.1, ::1, localhost)")
	errBaseNoHost  = errors.New("jira: base URL has no host; use https://your-site.atlassian.net")
	errBaseExtras  = errors.New("jira: base URL must not carry credentials, a query or a fragment; the credentials go in JIRA_EMAIL and JIRA_API_TOKEN")
	errBaseNoSpace = errors.New("jira: base URL must not contain spaces or control characters")
)

// parseBaseURL checks a site or gateway URL and returns it without a
// trailing slash. Basic auth sends the token with every request, so only
// https:// is accepted, except on a loopback address (tests, the demo),
// where nothing crosses a network.
func parseBaseURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", errBaseEmpty
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return "", errBaseNoSpace
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's error quotes the URL: say what is expected instead.
		return "", errBaseNotURL
	}
	// Credentials first: whatever else is wrong, a URL that carries them
	// is refused for carrying them.
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", errBaseExtras
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	default:
		return "", errBaseScheme
	}
	if u.Host == "" {
		return "", errBaseNoHost
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// isLoopback reports whether host names this machine: localhost, or an
// address in 127.0.0.0/8 or ::1.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
