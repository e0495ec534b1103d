package diagnosis

// PortalAccessName is the Portal Access security type (holder type
// [HolderPortalAccess]) in words. It is the key of its entry in
// [DefaultGrants] and the HolderName of its findings. Atlassian has renamed
// the UI label several times; this is the name the JSM documentation about
// the missing-grants problem uses.
const PortalAccessName = "Service Project Customer - Portal Access"

// DefaultGrants returns the grants Jira Service Management gives the three
// holders Atlassian advises never to remove, as in a JSM-generated Cloud
// scheme (reference §5.1). It is keyed by holder name ([RoleAdministrators],
// [RoleServiceDeskTeam] and [PortalAccessName]); each value is a sorted list
// of permission keys. Every call returns a fresh map the caller may modify.
func DefaultGrants() map[string][]string {
	m := make(map[string][]string, 3)
	for _, d := range defaultHolders() {
		m[d.name] = d.perms
	}
	return m
}

// defaultHolder is one row of the default grant table: the holder's name, the
// role name to resolve (empty for the Portal Access security type) and the
// sorted permission keys it is granted by default.
type defaultHolder struct {
	name  string
	role  string
	perms []string
}

// defaultHolders returns the default grant table in rule order. It is a
// function, not a variable, so no caller can change it for everyone.
func defaultHolders() []defaultHolder {
	return []defaultHolder{
		{name: RoleAdministrators, role: RoleAdministrators, perms: []string{
			"ADD_COMMENTS", "ADMINISTER_PROJECTS", "ASSIGNABLE_USER", "ASSIGN_ISSUES",
			"BROWSE_PROJECTS", "CLOSE_ISSUES", "CREATE_ATTACHMENTS", "CREATE_ISSUES",
			"DELETE_ALL_ATTACHMENTS", "DELETE_ALL_COMMENTS", "DELETE_ALL_WORKLOGS", "DELETE_ISSUES",
			"DELETE_OWN_ATTACHMENTS", "DELETE_OWN_COMMENTS", "DELETE_OWN_WORKLOGS", "EDIT_ALL_COMMENTS",
			"EDIT_ALL_WORKLOGS", "EDIT_ISSUES", "EDIT_OWN_COMMENTS", "EDIT_OWN_WORKLOGS",
			"LINK_ISSUES", "MANAGE_WATCHERS", "MODIFY_REPORTER", "MOVE_ISSUES",
			"RESOLVE_ISSUES", "SCHEDULE_ISSUES", "SERVICEDESK_AGENT", "SET_ISSUE_SECURITY",
			"TRANSITION_ISSUES", "VIEW_DEV_TOOLS", "VIEW_READONLY_WORKFLOW", "VIEW_VOTERS_AND_WATCHERS",
			"WORK_ON_ISSUES",
		}},
		{name: RoleServiceDeskTeam, role: RoleServiceDeskTeam, perms: []string{
			"ADD_COMMENTS", "ASSIGNABLE_USER", "ASSIGN_ISSUES", "BROWSE_PROJECTS",
			"CLOSE_ISSUES", "CREATE_ATTACHMENTS", "CREATE_ISSUES", "DELETE_ALL_ATTACHMENTS",
			"DELETE_ALL_COMMENTS", "DELETE_ISSUES", "DELETE_OWN_ATTACHMENTS", "DELETE_OWN_COMMENTS",
			"DELETE_OWN_WORKLOGS", "EDIT_ALL_COMMENTS", "EDIT_ISSUES", "EDIT_OWN_COMMENTS",
			"EDIT_OWN_WORKLOGS", "LINK_ISSUES", "MANAGE_WATCHERS", "MODIFY_REPORTER",
			"MOVE_ISSUES", "RESOLVE_ISSUES", "SCHEDULE_ISSUES", "SERVICEDESK_AGENT",
			"SET_ISSUE_SECURITY", "TRANSITION_ISSUES", "VIEW_READONLY_WORKFLOW", "VIEW_VOTERS_AND_WATCHERS",
			"WORK_ON_ISSUES",
		}},
		{name: PortalAccessName, perms: []string{
			"ADD_COMMENTS", "ASSIGN_ISSUES", "BROWSE_PROJECTS", "CLOSE_ISSUES",
			"CREATE_ATTACHMENTS", "CREATE_ISSUES", "DELETE_ISSUES", "DELETE_OWN_ATTACHMENTS",
			"DELETE_OWN_COMMENTS", "EDIT_ISSUES", "EDIT_OWN_COMMENTS", "LINK_ISSUES",
			"MANAGE_WATCHERS", "MODIFY_REPORTER", "MOVE_ISSUES", "RESOLVE_ISSUES",
			"SCHEDULE_ISSUES", "SET_ISSUE_SECURITY", "TRANSITION_ISSUES", "VIEW_VOTERS_AND_WATCHERS",
		}},
	}
}

// permissionLabel returns the permission's name as Jira's UI shows it, or the
// key itself for keys it does not know (apps may add their own).
func permissionLabel(key string) string {
	switch key {
	case "ADMINISTER_PROJECTS":
		return "Administer Projects"
	case "EDIT_WORKFLOW":
		return "Edit Workflow"
	case "EDIT_ISSUE_LAYOUT":
		return "Edit Issue Layout"
	case "BROWSE_PROJECTS":
		return "Browse Projects"
	case "MANAGE_SPRINTS_PERMISSION":
		return "Manage Sprints"
	case "SERVICEDESK_AGENT":
		return "Service Project Agent"
	case "VIEW_DEV_TOOLS":
		return "View Development Tools"
	case "VIEW_READONLY_WORKFLOW":
		return "View Read-Only Workflow"
	case "VIEW_AGGREGATED_DATA":
		return "View Aggregated Data"
	case "ASSIGNABLE_USER":
		return "Assignable User"
	case "ASSIGN_ISSUES":
		return "Assign Issues"
	case "CLOSE_ISSUES":
		return "Close Issues"
	case "CREATE_ISSUES":
		return "Create Issues"
	case "DELETE_ISSUES":
		return "Delete Issues"
	case "EDIT_ISSUES":
		return "Edit Issues"
	case "LINK_ISSUES":
		return "Link Issues"
	case "MODIFY_REPORTER":
		return "Modify Reporter"
	case "MOVE_ISSUES":
		return "Move Issues"
	case "RESOLVE_ISSUES":
		return "Resolve Issues"
	case "SCHEDULE_ISSUES":
		return "Schedule Issues"
	case "SET_ISSUE_SECURITY":
		return "Set Issue Security"
	case "TRANSITION_ISSUES":
		return "Transition Issues"
	case "MANAGE_WATCHERS":
		return "Manage Watchers"
	case "VIEW_VOTERS_AND_WATCHERS":
		return "View Voters and Watchers"
	case "ADD_COMMENTS":
		return "Add Comments"
	case "DELETE_ALL_COMMENTS":
		return "Delete All Comments"
	case "DELETE_OWN_COMMENTS":
		return "Delete Own Comments"
	case "EDIT_ALL_COMMENTS":
		return "Edit All Comments"
	case "EDIT_OWN_COMMENTS":
		return "Edit Own Comments"
	case "CREATE_ATTACHMENTS":
		return "Create Attachments"
	case "DELETE_ALL_ATTACHMENTS":
		return "Delete All Attachments"
	case "DELETE_OWN_ATTACHMENTS":
		return "Delete Own Attachments"
	case "DELETE_ALL_WORKLOGS":
		return "Delete All Worklogs"
	case "DELETE_OWN_WORKLOGS":
		return "Delete Own Worklogs"
	case "EDIT_ALL_WORKLOGS":
		return "Edit All Worklogs"
	case "EDIT_OWN_WORKLOGS":
		return "Edit Own Worklogs"
	case "WORK_ON_ISSUES":
		return "Work On Issues"
	}
	return key
}
