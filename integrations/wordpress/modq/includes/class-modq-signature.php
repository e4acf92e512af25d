<?php
/**
 * Standard Webhooks signatures, as modq signs its webhooks.
 *
 * @package modq
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Verifies `webhook-id`, `webhook-timestamp` and `webhook-signature`.
 */
class Modq_Signature {
	/** Seconds a webhook's timestamp may be away from this server's clock (replays). */
	const TOLERANCE = 300;

	/**
	 * Whether the body was signed with the secret (any of the space-separated
	 * `v1,<base64>` signatures: modq sends several while a secret rotates).
	 *
	 * @param string $secret    The `whsec_...` secret.
	 * @param string $id        webhook-id.
	 * @param string $timestamp webhook-timestamp (unix seconds).
	 * @param string $signature webhook-signature.
	 * @param string $body      The raw body.
	 * @param int    $now       The current unix time.
	 * @return bool
	 */
	public static function verify( $secret, $id, $timestamp, $signature, $body, $now ) {
		if ( '' === $secret || '' === $id || ! ctype_digit( (string) $timestamp ) ) {
			return false;
		}
		if ( abs( $now - (int) $timestamp ) > self::TOLERANCE ) {
			return false;
		}
		$key = base64_decode( preg_replace( '/^whsec_/', '', $secret ), true );
		if ( false === $key ) {
			return false;
		}
		$expected = base64_encode( hash_hmac( 'sha256', $id . '.' . $timestamp . '.' . $body, $key, true ) );
		$matched  = false;
		foreach ( preg_split( '/\s+/', trim( (string) $signature ) ) as $candidate ) {
			$parts = explode( ',', $candidate, 2 );
			if ( 2 === count( $parts ) && 'v1' === $parts[0] && hash_equals( $expected, $parts[1] ) ) {
				$matched = true;
			}
		}
		return $matched;
	}
}
