// The cluster test's own stack name, set before the harness reads it: its state dir and its
// SIP agents container are the edge's (ivr-test-state-cl-edge, ivr-test-agents-cl-edge).
process.env.IVR_TEST_STACK ??= 'cl-edge';
