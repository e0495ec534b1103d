package jira

import (
	"fmt"
	"strings"
)

// maxKeyLen is Jira's upper bound on project key length.
const maxKeyLen = 255

// ParseProjectKey checks that s can be a Jira project key and returns it in
// upper case, as Jira stores keys: a letter, then letters, digits or
// underscores, two characters at least. Surrounding space is ignored.
func ParseProjectKey(s string) (string, error) {
	// Check the characters before upper-casing: strings.ToUpper folds
	// some non-ASCII letters into ASCII ones ("ſoft" would become SOFT),
	// and a key must be what the user typed.
	key := strings.TrimSpace(s)
	for i := 0; i < len(key); i++ {
		if key[i] >= 0x80 {
			return "", fmt.Errorf("%q is not a project key: use a letter followed by letters, digits or underscores, like HELP", truncate(s, 40))
		}
	}
	key = strings.ToUpper(key)
	if len(key) < 2 || len(key) > maxKeyLen {
		return "", fmt.Errorf("%q is not a project key: a key is 2 to %d characters, like HELP", truncate(s, 40), maxKeyLen)
	}
	for i := 0; i < len(key); i++ {
		ch := key[i]
		switch {
		case ch >= 'A' && ch <= 'Z':
		case i > 0 && (ch >= '0' && ch <= '9' || ch == '_'):
		default:
			return "", fmt.Errorf("%q is not a project key: use a letter followed by letters, digits or underscores, like HELP", truncate(s, 40))
		}
	}
	return key, nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
