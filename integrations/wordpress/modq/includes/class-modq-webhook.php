<?php
/**
 * The REST route that receives modq's signed webhooks:
 * POST /wp-json/modq/v1/webhook (or /?rest_route=/modq/v1/webhook without pretty permalinks).
 *
 * @package modq
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Checks the signature, then moves the comment to modq's status.
 */
class Modq_Webhook {
	const NAMESPACE_ = 'modq/v1';
	const ROUTE      = '/webhook';

	/** Hook into WordPress. */
	public static function register() {
		add_action( 'rest_api_init', array( __CLASS__, 'routes' ) );
	}

	/** Register the route. */
	public static function routes() {
		register_rest_route(
			self::NAMESPACE_,
			self::ROUTE,
			array(
				'methods'             => 'POST',
				'callback'            => array( __CLASS__, 'receive' ),
				'permission_callback' => array( __CLASS__, 'signed' ),
			)
		);
	}

	/**
	 * Whether modq signed this request with the configured secret.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return true|WP_Error
	 */
	public static function signed( $request ) {
		$ok = Modq_Signature::verify(
			Modq_Settings::webhook_secret(),
			(string) $request->get_header( 'webhook-id' ),
			(string) $request->get_header( 'webhook-timestamp' ),
			(string) $request->get_header( 'webhook-signature' ),
			$request->get_body(),
			time()
		);
		if ( ! $ok ) {
			return new WP_Error( 'modq_bad_signature', 'The webhook signature does not verify.', array( 'status' => 401 ) );
		}
		return true;
	}

	/**
	 * Apply one event.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response
	 */
	public static function receive( $request ) {
		$event = json_decode( $request->get_body(), true );
		if ( ! is_array( $event ) || ! isset( $event['type'], $event['data']['id'] ) ) {
			return new WP_REST_Response( array( 'error' => 'not a modq event' ), 400 );
		}
		$data    = $event['data'];
		$comment = Modq_Comments::find( (string) $data['id'], isset( $data['external_id'] ) ? (string) $data['external_id'] : '' );
		if ( ! $comment ) {
			// Not this site's comment (or deleted here): nothing to do, and no retry wanted.
			return new WP_REST_Response( array( 'ignored' => 'unknown comment' ), 200 );
		}
		$id = (int) $comment->comment_ID;
		if ( 'comment.created' === $event['type'] ) {
			// modq stored a comment whose answer this site missed (a timeout): take it now.
			if ( get_comment_meta( $id, Modq_Comments::META_UNSENT, true ) ) {
				delete_comment_meta( $id, Modq_Comments::META_UNSENT );
				Modq_Comments::remember( $id, $data );
				Modq_Comments::apply_status( $id, (string) $data['status'] );
			}
			return new WP_REST_Response( array( 'ok' => true ), 200 );
		}
		Modq_Comments::remember( $id, $data );
		$changed = Modq_Comments::apply_status( $id, isset( $data['status'] ) ? (string) $data['status'] : '' );
		return new WP_REST_Response( array( 'ok' => true, 'changed' => $changed ), 200 );
	}
}
