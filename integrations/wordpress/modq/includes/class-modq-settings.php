<?php
/**
 * The plugin's settings: one option each, so they are easy to set from WP-CLI too.
 *
 * @package modq
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Reads the plugin's options with their defaults.
 */
class Modq_Settings {
	const URL            = 'modq_url';
	const SITE_KEY       = 'modq_site_key';
	const WEBHOOK_SECRET = 'modq_webhook_secret';
	const OUTAGE_POLICY  = 'modq_outage_policy';

	/** The modq server's base URL, without a trailing slash. */
	public static function url() {
		return untrailingslashit( (string) get_option( self::URL, '' ) );
	}

	/** The site key modq gave this site (`modq sites add`). */
	public static function site_key() {
		return (string) get_option( self::SITE_KEY, '' );
	}

	/** The webhook secret (`whsec_...`) of `modq webhooks add`. */
	public static function webhook_secret() {
		return (string) get_option( self::WEBHOOK_SECRET, '' );
	}

	/** What a comment becomes while modq is unreachable: 'hold' (default) or 'approve'. */
	public static function outage_policy() {
		return 'approve' === get_option( self::OUTAGE_POLICY, 'hold' ) ? 'approve' : 'hold';
	}

	/** Whether the plugin has somewhere to send comments. */
	public static function configured() {
		return '' !== self::url();
	}
}
