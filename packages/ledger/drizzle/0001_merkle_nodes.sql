CREATE TABLE "merkle_nodes" (
	"level" smallint NOT NULL,
	"node_index" bigint NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "merkle_nodes_level_node_index_pk" PRIMARY KEY("level","node_index")
);
