<?php
/**
 * modq's HTTP API, as this site uses it.
 *
 * @package modq
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Calls to modq. Each returns the decoded answer, or a WP_Error when modq is unreachable
 * or answers an error (the error data carries the HTTP status).
 */
class Modq_Client {
	/** Seconds a visitor's comment waits for modq before the outage policy applies. */
	const TIMEOUT = 5;

	/**
	 * POST /v1/comments.
	 *
	 * @param array $comment modq's comment fields.
	 * @return array|WP_Error
	 */
	public static function create_comment( array $comment ) {
		return self::request( 'POST', '/v1/comments', $comment );
	}

	/**
	 * POST /v1/comments/<id>/feedback.
	 *
	 * @param string $modq_id modq's id of the comment.
	 * @param string $label   spam, ham or toxic.
	 * @return array|WP_Error
	 */
	public static function feedback( $modq_id, $label ) {
		return self::request( 'POST', '/v1/comments/' . rawurlencode( $modq_id ) . '/feedback', array( 'label' => $label ) );
	}

	/**
	 * One JSON request to modq.
	 *
	 * @param string $method HTTP method.
	 * @param string $path   Path under the modq URL.
	 * @param array  $body   JSON body.
	 * @return array|WP_Error
	 */
	private static function request( $method, $path, array $body ) {
		$headers = array(
			'Content-Type' => 'application/json',
			'Accept'       => 'application/json',
		);
		$key     = Modq_Settings::site_key();
		if ( '' !== $key ) {
			$headers['Authorization'] = 'Bearer ' . $key;
		}
		$response = wp_remote_request(
			Modq_Settings::url() . $path,
			array(
				'method'      => $method,
				'timeout'     => self::TIMEOUT,
				'headers'     => $headers,
				'body'        => wp_json_encode( $body ),
				'redirection' => 0,
			)
		);
		if ( is_wp_error( $response ) ) {
			return $response;
		}
		$status  = (int) wp_remote_retrieve_response_code( $response );
		$decoded = json_decode( (string) wp_remote_retrieve_body( $response ), true );
		if ( $status < 200 || $status >= 300 || ! is_array( $decoded ) ) {
			$message = isset( $decoded['error']['message'] ) ? $decoded['error']['message'] : 'HTTP ' . $status;
			return new WP_Error( 'modq_http', $message, array( 'status' => $status ) );
		}
		return $decoded;
	}
}
