package bot

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/jsmbot/jsmbot/store"
)

// TestUnrecordedListLosesNothing: owners on two replicas that leave steps
// for the reconciler at the same moment are all listed; the list is read,
// changed and written back, so without its lease writers overwrite each
// other.
func TestUnrecordedListLosesNothing(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		shared := store.NewMemory()
		replicas := []*Bot{{store: shared}, {store: shared}}
		var want []string
		var wg sync.WaitGroup
		for i := range 40 {
			id := fmt.Sprintf("plan%02d", i)
			want = append(want, id)
			b := replicas[i%2]
			wg.Go(func() {
				if err := b.putUnrecorded(t.Context(), unrecorded{PlanID: id, Audit: &store.AuditRecord{PlanID: id}}); err != nil {
					t.Errorf("putUnrecorded(%s): %v", id, err)
				}
			})
		}
		wg.Wait()
		got, err := replicas[0].unrecordedIDs(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("listed %d of %d plans: %v", len(got), len(want), got)
		}
	})
}
