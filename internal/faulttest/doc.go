// Package faulttest holds the black-box fault tests of issue 9: they build
// the real jsmbot binary once, run `jsmbot run` as a child process against
// jirasim, slacksim and Redis (a real redis-server at
// $JSMBOT_TEST_REDIS_ADDR, else miniredis on TCP, so that a restarted
// child finds the same store), kill it (kill -9, SIGTERM) at a chosen
// point of a repair, restart it, and check what Jira, the store and Slack
// hold afterwards.
//
// The package has no code of its own besides this comment: everything is
// in its test files, so that these slower tests run as a test binary of
// their own, beside the other packages'. A new fault test goes here when
// the fault is a process's death; a fault a process survives (a Jira
// error, a Redis stall) is tested in process, next to the code that
// handles it.
package faulttest
