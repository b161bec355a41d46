/**
 * The API contract ({@code api-spec/openapi.yaml}, packaged as {@code io/ichiba/api/openapi.yaml} on the classpath),
 * its wire records ({@link io.ichiba.api.Model}) and their JSON mapping ({@link io.ichiba.api.Wire}). Plain Jackson,
 * no framework: clients, agents and the broker share them.
 */
package io.ichiba.api;
