package jirasim

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Handlers of the JSM API (/rest/servicedeskapi). They run under Server.mu
// and return a reply; errors use JSM's ErrorResponse body. The i18n keys are
// the simulator's own: the documents show the shape, not Jira's keys.

const jsmDefaultLimit = 50

// jsmPaging parses start and limit. limit is echoed in the page as asked
// (JSM reports the requested limit and caps size silently); the number of
// values is capped by the server's page size.
func (s *Server) jsmPaging(q url.Values) (start, limit, size int, rep *reply) {
	start, okStart := intParamOK(q, "start", 0)
	limit, okLimit := intParamOK(q, "limit", jsmDefaultLimit)
	if !okStart || !okLimit {
		r := jsmErr(http.StatusBadRequest, "The paging parameters are invalid.", "sd.jirasim.paging.invalid")
		return 0, 0, 0, &r
	}
	start = max(start, 0)
	if limit < 1 {
		limit = jsmDefaultLimit
	}
	return start, limit, min(limit, s.cfg.pageSize), nil
}

// jsmPage slices items into a PagedDTO with _links built from base (a URL
// without query) and the request's other query parameters.
func jsmPage[T any](st *state, base string, q url.Values, items []T, start, limit, size int) wirePage[T] {
	end := min(start+size, len(items))
	values := []T{}
	if start < len(items) {
		values = append(values, items[start:end]...)
	}
	page := wirePage[T]{
		Expands:    []string{},
		Size:       len(values),
		Start:      start,
		Limit:      limit,
		IsLastPage: start+len(values) >= len(items),
		Links:      wirePagedLinks{Base: st.url + jsmPrefix, Context: ""},
		Values:     values,
	}
	if !page.IsLastPage {
		page.Links.Next = pageURL(base, q, "start", start+len(values), "limit", limit)
	}
	if start > 0 {
		page.Links.Prev = pageURL(base, q, "start", max(start-limit, 0), "limit", limit)
	}
	return page
}

// intParamOK parses an optional integer query parameter.
func intParamOK(q url.Values, name string, def int) (int, bool) {
	v := q.Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}

func (st *state) wireDesk(p *project) wireServiceDesk {
	return wireServiceDesk{
		ID:          p.ServiceDeskID,
		ProjectID:   strconv.FormatInt(p.ID, 10),
		ProjectName: p.Name,
		ProjectKey:  p.Key,
		Links:       wireSelfLink{Self: st.url + jsmPrefix + "/servicedesk/" + p.ServiceDeskID},
	}
}

func (st *state) wireUserDTO(u *User) wireUserDTO {
	rest := st.url + "/rest/api/2/user?accountId=" + url.QueryEscape(u.AccountID)
	return wireUserDTO{
		AccountID:    u.AccountID,
		EmailAddress: u.Email,
		DisplayName:  u.DisplayName,
		Active:       u.Active,
		TimeZone:     "Etc/UTC",
		Links:        wireUserLinks{JiraRest: rest, AvatarURLs: st.avatarURLs(u), Self: rest},
	}
}

// lookupDesk resolves {serviceDeskId} or answers 404.
func (st *state) lookupDesk(r *http.Request) (*project, *reply) {
	id := r.PathValue("id")
	p := st.projectByDesk(id)
	if p == nil {
		rep := jsmErr(http.StatusNotFound, fmt.Sprintf("The service desk with ID '%s' does not exist.", id),
			"sd.jirasim.servicedesk.not.found", id)
		return nil, &rep
	}
	return p, nil
}

// desks lists the projects with a service desk, by desk id.
func (st *state) desks() []*project {
	var out []*project
	for _, p := range st.projects {
		if p.Desk {
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b *project) int {
		ai, _ := strconv.Atoi(a.ServiceDeskID)
		bi, _ := strconv.Atoi(b.ServiceDeskID)
		return ai - bi
	})
	return out
}

// GET /servicedesk
func (s *Server) listDesks(r *http.Request) reply {
	st, q := s.st, r.URL.Query()
	start, limit, size, rep := s.jsmPaging(q)
	if rep != nil {
		return *rep
	}
	var all []wireServiceDesk
	for _, p := range st.desks() {
		all = append(all, st.wireDesk(p))
	}
	return ok(jsmPage(st, st.url+jsmPrefix+"/servicedesk", q, all, start, limit, size))
}

// GET /servicedesk/{serviceDeskId}
func (s *Server) getDesk(r *http.Request) reply {
	p, rep := s.st.lookupDesk(r)
	if rep != nil {
		return *rep
	}
	return ok(s.st.wireDesk(p))
}

// experimentalOptIn reports whether an experimental operation may run.
func experimentalOptIn(r *http.Request) bool {
	return strings.EqualFold(strings.TrimSpace(r.Header.Get("X-ExperimentalApi")), "opt-in")
}

// GET /servicedesk/{serviceDeskId}/customer (experimental)
func (s *Server) listCustomers(r *http.Request) reply {
	st, q := s.st, r.URL.Query()
	if !experimentalOptIn(r) {
		return jsmErr(http.StatusPreconditionFailed,
			"This is an experimental API. To use it, set the header 'X-ExperimentalApi: opt-in'.",
			"sd.jirasim.experimental.api.opt.in.required")
	}
	p, rep := st.lookupDesk(r)
	if rep != nil {
		return *rep
	}
	start, limit, size, rep := s.jsmPaging(q)
	if rep != nil {
		return *rep
	}
	query := strings.ToLower(strings.TrimSpace(q.Get("query")))
	var all []wireUserDTO
	for _, id := range p.customers {
		u := st.userByID(id)
		if u == nil {
			continue
		}
		if query != "" && !strings.Contains(strings.ToLower(u.DisplayName), query) &&
			!strings.Contains(strings.ToLower(u.Email), query) && !strings.Contains(strings.ToLower(u.AccountID), query) {
			continue
		}
		all = append(all, st.wireUserDTO(u))
	}
	base := st.url + jsmPrefix + "/servicedesk/" + url.PathEscape(r.PathValue("id")) + "/customer"
	return ok(jsmPage(st, base, q, all, start, limit, size))
}

// POST /servicedesk/{serviceDeskId}/customer
//
// A MODEL of the failure this bot repairs: when the desk project's scheme
// does not grant the Portal Access security type both BROWSE_PROJECTS and
// CREATE_ISSUES, Jira's UI says "Successfully added 0 customers. The
// following customers could not be added." What the public REST operation
// answers then is not documented (reference §5.3); the simulator answers 400
// with a JSM ErrorResponse naming the customers, and adds nobody.
func (s *Server) addCustomers(r *http.Request) reply {
	st := s.st
	p, rep := st.lookupDesk(r)
	if rep != nil {
		return *rep
	}
	if !st.adminProjects() {
		return jsmErr(http.StatusForbidden, "You do not have permission to manage the customers of this service project.",
			"sd.jirasim.customers.no.permission")
	}
	var in wireCustomersIn
	if err := decodeBody(r, &in); err != nil {
		return jsmErr(http.StatusBadRequest, "The request body could not be parsed.", "sd.jirasim.body.invalid")
	}
	ids := append(slices.Clone(in.AccountIDs), in.Usernames...)
	if len(ids) == 0 {
		return jsmErr(http.StatusBadRequest, "No customers were given.", "sd.jirasim.customers.none")
	}
	if !p.TeamManaged && !st.schemes[p.SchemeID].hasPortalAccessBasics() {
		return jsmErr(http.StatusBadRequest,
			"Successfully added 0 customers. The following customers could not be added: "+strings.Join(ids, ", ")+
				". The project's permission scheme must grant Browse Projects and Create Issues to Service Project Customer - Portal Access.",
			"sd.jirasim.customers.add.portal.access.missing", ids...)
	}
	var unknown []string
	for _, id := range ids {
		if st.userByID(id) == nil {
			unknown = append(unknown, id)
			continue
		}
		if !slices.Contains(p.customers, id) {
			p.customers = append(p.customers, id)
		}
	}
	if len(unknown) > 0 {
		// Valid customers are still added (spec).
		return jsmErr(http.StatusBadRequest,
			"The following customers do not exist: "+strings.Join(unknown, ", ")+".",
			"sd.jirasim.customers.not.found", unknown...)
	}
	return reply{status: http.StatusNoContent}
}

// POST /customer
func (s *Server) createCustomer(r *http.Request) reply {
	st := s.st
	if !st.global["ADMINISTER"] {
		return jsmErr(http.StatusForbidden, "You must be a Jira administrator to create customers.", "sd.jirasim.customer.create.no.permission")
	}
	var in wireCustomerCreateIn
	if err := decodeBody(r, &in); err != nil {
		return jsmErr(http.StatusBadRequest, "The request body could not be parsed.", "sd.jirasim.body.invalid")
	}
	email := strings.TrimSpace(in.Email)
	if email == "" || !strings.Contains(email, "@") {
		return jsmErr(http.StatusBadRequest, "A valid email address is required.", "sd.jirasim.customer.email.invalid")
	}
	if st.userByEmail(email) != nil {
		status := http.StatusBadRequest
		if strictConflict, _ := strconv.ParseBool(r.URL.Query().Get("strictConflictStatusCode")); strictConflict {
			status = http.StatusConflict
		}
		return jsmErr(status, "An account already exists for this email.", "sd.jirasim.customer.email.exists", email)
	}
	name := cmpOr(strings.TrimSpace(in.DisplayName), strings.TrimSpace(in.FullName))
	if name == "" {
		name = email
	}
	u, err := st.addUser(User{Email: email, DisplayName: name, Active: true, Customer: true})
	if err != nil {
		return jsmErr(http.StatusInternalServerError, err.Error(), "sd.jirasim.internal")
	}
	return reply{status: http.StatusCreated, body: st.wireUserDTO(st.userByID(u.AccountID))}
}
