// tfckpt: the whole library in one include.
//
// Format layer (standard library only): bundle reading/writing/merging, the state file,
// partitioned slices, the object-graph protobuf. Object-graph and reflection layer (Boost.PFR
// and Boost.Describe): checkpoints over annotated structs, CheckpointManager, compile-time
// schemas and restore from memory. Include single headers instead to avoid Boost.
//
// With TFCKPT_SEPARATE_COMPILATION (config.hpp) this declares the checkpoint API over structs
// (checkpoint, save/write/read/restore, Keras optimizers, schemas) and defines only what each
// struct needs; the format layer is compiled once, by the unit including core_impl.hpp. The
// other headers (bundle_reader.hpp, checkpoint_manager.hpp, ...) can still be included where
// needed: they are header-only in either mode.
#pragma once

#include "config.hpp"
#include "error.hpp"
#include "dtype.hpp"
#include "half.hpp"
#include "options.hpp"
#include "tensor.hpp"
#include "naming.hpp"
#include "checkpoint.hpp"
#include "keras/optimizers.hpp"
#include "schema_entry.hpp"
#include "schema.hpp"

#if TFCKPT_DEFINE_CORE
#include "bundle_proto.hpp"
#include "object_graph_proto.hpp"
#include "slice.hpp"
#include "state_file.hpp"
#include "bundle_reader.hpp"
#include "bundle_writer.hpp"
#include "bundle_merge.hpp"
#include "list_entries.hpp"
#include "checkpoint_manager.hpp"
#include "memory_restore.hpp"
#endif
