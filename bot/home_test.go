package bot

import (
	"context"
	"encoding/json"

	"github.com/slack-go/slack"
)

// PublishViewContext records a published Home tab as "publish home of U".
func (f *fakeSlack) PublishViewContext(_ context.Context, req slack.PublishViewContextRequest) (*slack.ViewResponse, error) {
	b, _ := json.Marshal(req.View)
	_, err := f.record("publish", "publish home of "+req.UserID+": "+string(b))
	return &slack.ViewResponse{}, err
}
