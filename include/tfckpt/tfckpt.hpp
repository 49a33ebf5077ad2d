// tfckpt: the whole library in one include.
//
// Format layer (standard library only): bundle reading/writing/merging, the state file,
// partitioned slices, the object-graph protobuf. Object-graph and reflection layer (Boost.PFR
// and Boost.Describe): checkpoints over annotated structs, CheckpointManager, compile-time
// schemas and restore from memory. Include single headers instead to avoid Boost.
#pragma once

#include "config.hpp"
#include "error.hpp"
#include "dtype.hpp"
#include "half.hpp"
#include "bundle_proto.hpp"
#include "object_graph_proto.hpp"
#include "slice.hpp"
#include "state_file.hpp"
#include "tensor.hpp"
#include "naming.hpp"
#include "bundle_reader.hpp"
#include "bundle_writer.hpp"
#include "bundle_merge.hpp"
#include "list_entries.hpp"

#include "checkpoint.hpp"
#include "checkpoint_manager.hpp"
#include "keras/optimizers.hpp"
#include "schema_entry.hpp"
#include "schema.hpp"
#include "memory_restore.hpp"
