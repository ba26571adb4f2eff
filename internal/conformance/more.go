package conformance

import "context"

func (k *kit) wideLookups(ctx context.Context) {}
func (k *kit) schemaViews(ctx context.Context) {}
func (k *kit) largeList(ctx context.Context)   {}
