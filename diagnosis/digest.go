package diagnosis

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"slices"
	"strconv"
)

// Digest fingerprints the state a plan is made from: a hex SHA-256 over the
// project id, the scheme id and the scheme's grant set (holder type,
// parameter and permission, sorted and de-duplicated). Grant ids are left
// out, so re-creating an identical grant does not change it, and so is the
// order Jira lists grants in. A plan is applied only while the digest of a
// fresh snapshot still equals [Plan.Digest].
func Digest(s Snapshot) string {
	gs := make([]Grant, 0, len(s.Scheme.Grants))
	for _, g := range s.Scheme.Grants {
		g.ID = 0
		gs = append(gs, g)
	}
	slices.SortFunc(gs, compareGrants)
	gs = slices.Compact(gs)

	h := newHasher("jsmbot-digest/v1")
	h.str(s.Project.ID)
	h.str(strconv.FormatInt(s.Scheme.ID, 10))
	h.grants(gs, false)
	return h.hex()
}

// hasher writes values into a SHA-256 unambiguously: every string is length
// prefixed, so no two different inputs write the same bytes.
type hasher struct{ h hash.Hash }

func newHasher(domain string) hasher {
	h := hasher{h: sha256.New()}
	h.str(domain)
	return h
}

func (h hasher) str(s string) {
	// hash.Hash.Write never returns an error.
	_, _ = h.h.Write([]byte(strconv.Itoa(len(s)) + ":" + s + ";"))
}

func (h hasher) strs(ss []string) {
	h.str(strconv.Itoa(len(ss)))
	for _, s := range ss {
		h.str(s)
	}
}

func (h hasher) grants(gs []Grant, withIDs bool) {
	h.str(strconv.Itoa(len(gs)))
	for _, g := range gs {
		h.str(g.Holder.Type)
		h.str(g.Holder.Parameter)
		h.str(g.Permission)
		if withIDs {
			h.str(strconv.FormatInt(g.ID, 10))
		}
	}
}

func (h hasher) hex() string {
	return hex.EncodeToString(h.h.Sum(nil))
}
