<?php
/**
 * Plugin Name: modq Akismet bridge
 * Description: Sends the Akismet plugin's calls to modq's Akismet-compatible API instead of rest.akismet.com, and applies modq's later decisions (signed webhooks) to those comments.
 * Version:     1.0.0
 * Author:      modq
 * License:     GPL-2.0-or-later
 * License URI: https://www.gnu.org/licenses/gpl-2.0.html
 *
 * A must-use plugin: copy it to wp-content/mu-plugins/ and set, in wp-config.php,
 *   define( 'MODQ_AKISMET_URL', 'https://modq.example.org' );            // modq's address
 *   define( 'MODQ_WEBHOOK_SECRET', 'whsec_...' );                        // `modq webhooks add`
 * then give the Akismet plugin the modq site key as its API key.
 *
 * The Akismet plugin hardcodes its host (rest.akismet.com); WordPress core's
 * `pre_http_request` filter answers its calls by making the same request to modq.
 * Akismet 5.0.2 has no webhook route, so this bridge adds one,
 * POST /wp-json/modq-akismet/v1/webhook (or /?rest_route=/modq-akismet/v1/webhook),
 * for the decisions modq's moderators make later: approved comments leave the spam
 * folder (comment-check answers "true" for a comment modq holds, so Akismet files it as
 * spam until a moderator has decided), rejected ones stay spam.
 *
 * This program is free software; you can redistribute it and/or modify it under the terms
 * of the GNU General Public License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The bridge: one filter out, one REST route in.
 */
class Modq_Akismet_Bridge {
	const META_GUID = 'modq_akismet_guid';
	const TOLERANCE = 300;

	/** The modq id (X-akismet-guid) of the comment Akismet checked last in this request. */
	private static $last_guid = '';

	/** Hook into WordPress. */
	public static function register() {
		add_filter( 'pre_http_request', array( __CLASS__, 'redirect' ), 10, 3 );
		add_action( 'wp_insert_comment', array( __CLASS__, 'remember_guid' ), 10, 1 );
		add_action( 'rest_api_init', array( __CLASS__, 'routes' ) );
	}

	/** modq's address (constant MODQ_AKISMET_URL, else the option of the same name). */
	public static function modq_url() {
		$url = defined( 'MODQ_AKISMET_URL' ) ? MODQ_AKISMET_URL : get_option( 'modq_akismet_url', '' );
		return untrailingslashit( (string) $url );
	}

	/** The webhook secret (constant MODQ_WEBHOOK_SECRET, else the option). */
	public static function webhook_secret() {
		return (string) ( defined( 'MODQ_WEBHOOK_SECRET' ) ? MODQ_WEBHOOK_SECRET : get_option( 'modq_akismet_webhook_secret', '' ) );
	}

	/**
	 * `pre_http_request`: make Akismet's request to modq instead, with the same arguments.
	 *
	 * @param false|array|WP_Error $pre  A previous filter's answer.
	 * @param array                $args The request's arguments.
	 * @param string               $url  The request's URL.
	 * @return false|array|WP_Error
	 */
	public static function redirect( $pre, $args, $url ) {
		$host = (string) wp_parse_url( $url, PHP_URL_HOST );
		$modq = self::modq_url();
		if ( false !== $pre || '' === $modq || ! preg_match( '/(^|\.)rest\.akismet\.com$/i', $host ) ) {
			return $pre;
		}
		$path  = (string) wp_parse_url( $url, PHP_URL_PATH );
		$query = (string) wp_parse_url( $url, PHP_URL_QUERY );
		// A key in the host (KEY.rest.akismet.com, older clients) travels in the Host header.
		$response = wp_remote_request( $modq . $path . ( '' !== $query ? '?' . $query : '' ), $args );
		if ( ! is_wp_error( $response ) && '/1.1/comment-check' === $path ) {
			self::$last_guid = (string) wp_remote_retrieve_header( $response, 'x-akismet-guid' );
		}
		return $response;
	}

	/**
	 * `wp_insert_comment`: keep modq's id on the comment Akismet just checked.
	 *
	 * @param int $comment_id The new comment.
	 */
	public static function remember_guid( $comment_id ) {
		if ( '' !== self::$last_guid ) {
			update_comment_meta( $comment_id, self::META_GUID, sanitize_text_field( self::$last_guid ) );
			self::$last_guid = '';
		}
	}

	/** Register the webhook route. */
	public static function routes() {
		register_rest_route(
			'modq-akismet/v1',
			'/webhook',
			array(
				'methods'             => 'POST',
				'callback'            => array( __CLASS__, 'receive' ),
				'permission_callback' => array( __CLASS__, 'signed' ),
			)
		);
	}

	/**
	 * Whether modq signed this request (Standard Webhooks; any of the signatures).
	 *
	 * @param WP_REST_Request $request The request.
	 * @return true|WP_Error
	 */
	public static function signed( $request ) {
		$secret    = self::webhook_secret();
		$id        = (string) $request->get_header( 'webhook-id' );
		$timestamp = (string) $request->get_header( 'webhook-timestamp' );
		$key       = base64_decode( preg_replace( '/^whsec_/', '', $secret ), true );
		$ok        = '' !== $secret && '' !== $id && false !== $key && ctype_digit( $timestamp )
			&& abs( time() - (int) $timestamp ) <= self::TOLERANCE;
		if ( $ok ) {
			$expected = base64_encode( hash_hmac( 'sha256', $id . '.' . $timestamp . '.' . $request->get_body(), $key, true ) );
			$ok       = false;
			foreach ( preg_split( '/\s+/', trim( (string) $request->get_header( 'webhook-signature' ) ) ) as $candidate ) {
				$parts = explode( ',', $candidate, 2 );
				if ( 2 === count( $parts ) && 'v1' === $parts[0] && hash_equals( $expected, $parts[1] ) ) {
					$ok = true;
				}
			}
		}
		return $ok ? true : new WP_Error( 'modq_bad_signature', 'The webhook signature does not verify.', array( 'status' => 401 ) );
	}

	/**
	 * Apply a later decision to the comment modq knows by this id.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response
	 */
	public static function receive( $request ) {
		$event = json_decode( $request->get_body(), true );
		if ( ! is_array( $event ) || ! isset( $event['type'], $event['data']['id'], $event['data']['status'] ) ) {
			return new WP_REST_Response( array( 'error' => 'not a modq event' ), 400 );
		}
		if ( 'comment.created' === $event['type'] ) {
			return new WP_REST_Response( array( 'ok' => true ), 200 ); // Akismet already filed it
		}
		$found = get_comments(
			array(
				'meta_key'   => self::META_GUID, // phpcs:ignore WordPress.DB.SlowDBQuery
				'meta_value' => (string) $event['data']['id'], // phpcs:ignore WordPress.DB.SlowDBQuery
				'status'     => 'any',
				'number'     => 1,
			)
		);
		if ( ! $found ) {
			return new WP_REST_Response( array( 'ignored' => 'unknown comment' ), 200 );
		}
		$comment = $found[0];
		$targets = array(
			'approved' => array( '1', 'approve' ),
			'rejected' => array( 'spam', 'spam' ),
			'pending'  => array( '0', 'hold' ),
		);
		$status  = (string) $event['data']['status'];
		if ( ! isset( $targets[ $status ] ) || 'trash' === $comment->comment_approved
			|| $targets[ $status ][0] === (string) $comment->comment_approved ) {
			return new WP_REST_Response( array( 'ok' => true, 'changed' => false ), 200 );
		}
		wp_set_comment_status( (int) $comment->comment_ID, $targets[ $status ][1] );
		return new WP_REST_Response( array( 'ok' => true, 'changed' => true ), 200 );
	}
}

Modq_Akismet_Bridge::register();
