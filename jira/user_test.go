package jira_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
)

func TestUser(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		accountID string
		setup     func(*jirasim.Server)
		want      *jira.User
		wantErr   error
	}{
		{
			name:      "a known account",
			accountID: jirasim.OwnerAccountID,
			want: &jira.User{
				AccountID: jirasim.OwnerAccountID, AccountType: "atlassian", EmailAddress: "olivia.owner@example.com",
				DisplayName: "Olivia Owner", Active: true, TimeZone: "Etc/UTC",
			},
		},
		{name: "an unknown account", accountID: "qm:nobody", wantErr: jira.ErrNotFound},
		{
			name:      "without Browse users and groups",
			accountID: jirasim.OwnerAccountID,
			setup:     func(s *jirasim.Server) { s.SetGlobalPermission("USER_PICKER", false) },
			wantErr:   jira.ErrForbidden,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, sim := newTestClient(t, nil)
			if tt.setup != nil {
				tt.setup(sim)
			}
			got, err := c.User(t.Context(), tt.accountID)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("User: error %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("User mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
