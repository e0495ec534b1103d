package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jsmbot/jsmbot/jira"
)

// config is everything jsmbot reads from its environment.
type config struct {
	JiraBaseURL string
	JiraEmail   string
	JiraToken   string
	LogLevel    slog.Level
}

// configError lists every configuration problem at once.
type configError struct{ problems []string }

func (e *configError) Error() string {
	return "configuration: " + strings.Join(e.problems, "; ")
}

// loadJiraConfig reads the Jira settings, reporting every problem at once.
// Messages name variables, never their values, so no secret is echoed.
func loadJiraConfig(getenv func(string) string) (config, error) {
	c := config{
		JiraBaseURL: strings.TrimSpace(getenv("JIRA_BASE_URL")),
		JiraEmail:   strings.TrimSpace(getenv("JIRA_EMAIL")),
		JiraToken:   strings.TrimSpace(getenv("JIRA_API_TOKEN")),
	}
	var problems []string
	for _, v := range []struct{ name, val string }{
		{"JIRA_BASE_URL", c.JiraBaseURL}, {"JIRA_EMAIL", c.JiraEmail}, {"JIRA_API_TOKEN", c.JiraToken},
	} {
		if v.val == "" {
			problems = append(problems, v.name+" is not set")
		}
	}
	if c.JiraBaseURL != "" {
		if _, err := jira.NewClient(c.JiraBaseURL, "x", "x"); err != nil {
			problems = append(problems, "JIRA_BASE_URL: "+strings.TrimPrefix(err.Error(), "jira: "))
		}
	}
	if c.JiraEmail != "" && !strings.Contains(c.JiraEmail, "@") {
		problems = append(problems, "JIRA_EMAIL must be the Atlassian account's email address")
	}
	level, err := parseLevel(getenv("JSMBOT_LOG_LEVEL"))
	if err != nil {
		problems = append(problems, err.Error())
	}
	c.LogLevel = level
	if len(problems) > 0 {
		return c, &configError{problems: problems}
	}
	return c, nil
}

func parseLevel(s string) (slog.Level, error) {
	if s == "" {
		return slog.LevelWarn, nil
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, errors.New("JSMBOT_LOG_LEVEL must be debug, info, warn or error")
	}
	return l, nil
}

// LogValue keeps the token out of logs.
func (c config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("jira_base_url", c.JiraBaseURL),
		slog.String("jira_email", c.JiraEmail),
		slog.String("jira_api_token", redact(c.JiraToken)),
	)
}

func redact(secret string) string {
	if secret == "" {
		return ""
	}
	return "[redacted]"
}

// newJiraClient builds the Jira client from the configuration.
func newJiraClient(c config, logger *slog.Logger, opts ...jira.Option) (*jira.Client, error) {
	opts = append([]jira.Option{jira.WithLogger(logger)}, opts...)
	client, err := jira.NewClient(c.JiraBaseURL, c.JiraEmail, c.JiraToken, opts...)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	return client, nil
}
