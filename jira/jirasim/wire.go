package jirasim

import (
	"encoding/json"
	"net/http"
)

// The simulator's own wire structs. They are written from the OpenAPI
// documents and the captured samples, never shared with the jira client, so
// that a wrong JSON tag on either side makes a test fail.

// wireHolder is PermissionHolder.
type wireHolder struct {
	Type      string `json:"type"`
	Parameter string `json:"parameter,omitempty"`
	Value     string `json:"value,omitempty"`
}

// wireGrant is PermissionGrant.
type wireGrant struct {
	ID         int64      `json:"id"`
	Self       string     `json:"self"`
	Holder     wireHolder `json:"holder"`
	Permission string     `json:"permission"`
}

// wireScheme is PermissionScheme. Permissions is omitted unless expanded
// (nil), and present as [] for an expanded scheme without grants.
type wireScheme struct {
	Expand      string      `json:"expand,omitempty"`
	ID          int64       `json:"id"`
	Self        string      `json:"self"`
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	Permissions []wireGrant `json:"permissions,omitzero"`
}

// wireSchemeExpand is the expand list real schemes advertise.
const wireSchemeExpand = "permissions,user,group,projectRole,field,all"

// wireGrants is PermissionGrants.
type wireGrants struct {
	Expand      string      `json:"expand"`
	Permissions []wireGrant `json:"permissions"`
}

// wireProject is Project (the fields the simulator serves).
type wireProject struct {
	Expand         string            `json:"expand,omitempty"`
	Self           string            `json:"self"`
	ID             string            `json:"id"`
	Key            string            `json:"key"`
	Name           string            `json:"name"`
	Description    *string           `json:"description,omitempty"`
	ProjectTypeKey string            `json:"projectTypeKey"`
	Simplified     bool              `json:"simplified"`
	Style          string            `json:"style"`
	IsPrivate      bool              `json:"isPrivate"`
	Archived       *bool             `json:"archived,omitempty"`
	Roles          map[string]string `json:"roles,omitempty"`
}

// wireProjectPage is PageBeanProject.
type wireProjectPage struct {
	Self       string        `json:"self"`
	NextPage   string        `json:"nextPage,omitempty"`
	MaxResults int           `json:"maxResults"`
	StartAt    int           `json:"startAt"`
	Total      int           `json:"total"`
	IsLast     bool          `json:"isLast"`
	Values     []wireProject `json:"values"`
}

// wireRoleActor is RoleActor.
type wireRoleActor struct {
	ID          int64           `json:"id"`
	DisplayName string          `json:"displayName"`
	Type        string          `json:"type"`
	Name        string          `json:"name,omitempty"`
	ActorUser   *wireActorUser  `json:"actorUser,omitempty"`
	ActorGroup  *wireActorGroup `json:"actorGroup,omitempty"`
}

type wireActorUser struct {
	AccountID string `json:"accountId"`
}

type wireActorGroup struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	GroupID     string `json:"groupId"`
}

// wireRole is ProjectRole.
type wireRole struct {
	Self        string          `json:"self"`
	Name        string          `json:"name"`
	ID          int64           `json:"id"`
	Description string          `json:"description"`
	Actors      []wireRoleActor `json:"actors"`
}

// wireUser is the platform User.
type wireUser struct {
	Self         string            `json:"self"`
	AccountID    string            `json:"accountId"`
	AccountType  string            `json:"accountType"`
	EmailAddress string            `json:"emailAddress,omitempty"`
	AvatarURLs   map[string]string `json:"avatarUrls"`
	DisplayName  string            `json:"displayName"`
	Active       bool              `json:"active"`
	TimeZone     string            `json:"timeZone"`
	Locale       string            `json:"locale,omitempty"`
}

// wireUserPermission is UserPermission.
type wireUserPermission struct {
	ID             string `json:"id"`
	Key            string `json:"key"`
	Name           string `json:"name"`
	Type           string `json:"type"`
	Description    string `json:"description"`
	HavePermission bool   `json:"havePermission"`
}

// wirePermissions is Permissions.
type wirePermissions struct {
	Permissions map[string]wireUserPermission `json:"permissions"`
}

// wireErrorCollection is the platform error body.
type wireErrorCollection struct {
	ErrorMessages []string          `json:"errorMessages"`
	Errors        map[string]string `json:"errors"`
}

// JSM shapes.

type wireJSMError struct {
	ErrorMessage     string          `json:"errorMessage"`
	I18nErrorMessage wireI18nMessage `json:"i18nErrorMessage"`
}

type wireI18nMessage struct {
	I18nKey    string   `json:"i18nKey"`
	Parameters []string `json:"parameters"`
}

type wireSelfLink struct {
	Self string `json:"self"`
}

type wireServiceDesk struct {
	ID          string       `json:"id"`
	ProjectID   string       `json:"projectId"`
	ProjectName string       `json:"projectName"`
	ProjectKey  string       `json:"projectKey"`
	Links       wireSelfLink `json:"_links"`
}

type wirePagedLinks struct {
	Base    string `json:"base"`
	Context string `json:"context"`
	Next    string `json:"next,omitempty"`
	Prev    string `json:"prev,omitempty"`
}

// wirePage is PagedDTO<T>.
type wirePage[T any] struct {
	Expands    []string       `json:"_expands"`
	Size       int            `json:"size"`
	Start      int            `json:"start"`
	Limit      int            `json:"limit"`
	IsLastPage bool           `json:"isLastPage"`
	Links      wirePagedLinks `json:"_links"`
	Values     []T            `json:"values"`
}

type wireUserLinks struct {
	JiraRest   string            `json:"jiraRest"`
	AvatarURLs map[string]string `json:"avatarUrls"`
	Self       string            `json:"self"`
}

// wireUserDTO is JSM's UserDTO.
type wireUserDTO struct {
	AccountID    string        `json:"accountId"`
	EmailAddress string        `json:"emailAddress,omitempty"`
	DisplayName  string        `json:"displayName"`
	Active       bool          `json:"active"`
	TimeZone     string        `json:"timeZone"`
	Links        wireUserLinks `json:"_links"`
}

// Request bodies.

type wireIDBean struct {
	ID *int64 `json:"id"`
}

type wireGrantIn struct {
	Holder *struct {
		Type      string `json:"type"`
		Parameter string `json:"parameter"`
		Value     string `json:"value"`
	} `json:"holder"`
	Permission string `json:"permission"`
}

type wireSchemeIn struct {
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Permissions []wireGrantIn `json:"permissions"`
}

type wireCustomersIn struct {
	AccountIDs []string `json:"accountIds"`
	Usernames  []string `json:"usernames"`
}

type wireCustomerCreateIn struct {
	Email       string `json:"email"`
	DisplayName string `json:"displayName"`
	FullName    string `json:"fullName"`
}

// Messages Jira uses (reference §6).
const (
	msgNotAuthenticated = "You are not authenticated. Authentication required to perform this operation."
	msgNoPermission     = "You do not have permission to perform this operation."
)

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	w.Write(b) //nolint:errcheck // the client went away; nothing to do
}
