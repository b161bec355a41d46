/**
 * The node agent: probes free memory and disk, reports them to the broker and runs granted jobs. It is
 * built in a later issue; until then nodes are reported over {@code PUT /v1/nodes/{node}/report}.
 */
package io.ichiba.agent;
